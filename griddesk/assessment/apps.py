from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "griddesk.assessment"
    label = "assessment"
    verbose_name = _("Assessment, archive and analytics")
    default_auto_field = "django.db.models.BigAutoField"

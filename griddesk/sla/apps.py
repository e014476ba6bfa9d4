from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "griddesk.sla"
    label = "sla"
    verbose_name = _("SLA and working-day calendar")
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "griddesk.satisfaction"
    label = "satisfaction"
    verbose_name = _("Return visits and satisfaction")
    default_auto_field = "django.db.models.BigAutoField"

from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "griddesk.common"
    label = "common"
    verbose_name = _("Common")



class AxesConfig(axes_apps.AppConfig):
    """django-axes under a translated name (the package calls its section "Axes")."""

    verbose_name = _("Login protection (django-axes)")

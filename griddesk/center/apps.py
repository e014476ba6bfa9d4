from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CenterConfig(AppConfig):
    name = "griddesk.center"
    label = "center"
    verbose_name = _("95598 center link")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The reply to the 95598 center: an in-transaction subscriber to the
        # core's order events, and a listener on the webhooks' attempts (ADR 0030).
        from . import subscribers

        subscribers.register()

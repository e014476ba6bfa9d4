from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpinionConfig(AppConfig):
    name = "griddesk.opinion"
    label = "opinion"
    verbose_name = _("Public-opinion monitoring")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from griddesk.workorders import domain_events

        from . import hooks

        # A confirmed report of a story's order becomes the story's result (after the commit).
        domain_events.subscribe(hooks.on_report_confirmed, names=[domain_events.order_event_name("confirm_report")])

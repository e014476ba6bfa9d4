from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkOrdersConfig(AppConfig):
    name = "griddesk.workorders"
    label = "workorders"
    verbose_name = _("Work orders")

    def ready(self) -> None:
        # The order clock recomputes deadlines when the SLA data changes.
        from griddesk.sla import changes

        from .clock_services import on_sla_change

        changes.subscribe(on_sla_change)

"""Who gets told, and the inbox queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from griddesk.engines.workflow import Role
from griddesk.organisation.models import COMPANY_TYPES, Department, StaffProfile

from .models import Notification


@dataclass(frozen=True)
class _Staff:
    user_id: int
    role: str
    department_id: int
    company_path: str


class Audience:
    """Everyone who may be told about an order, loaded once per run (staff is
    small next to the orders), so choosing recipients costs no query per order.

    - handlers: lead handlers of the order's lead departments;
    - overseers of a role (specialists, managers): staff whose company's subtree
      contains the order's company — the same rule as their queue visibility.
    """

    ROLES = (Role.LEAD_HANDLER.value, Role.SERVICE_SPECIALIST.value, Role.MANAGER.value)

    def __init__(self) -> None:
        company_paths = sorted(
            Department.objects.filter(type__in=COMPANY_TYPES).values_list("path", flat=True), key=len, reverse=True
        )
        self.staff: list[_Staff] = []
        rows = StaffProfile.objects.filter(role__in=self.ROLES, user__is_active=True).values_list(
            "user_id", "role", "department_id", "department__path"
        )
        for user_id, role, dept_id, dept_path in rows:
            company = next((p for p in company_paths if dept_path.startswith(p)), dept_path)
            self.staff.append(_Staff(user_id, role, dept_id, company))
        self._handlers: dict[int, list[int]] = {}
        for s in self.staff:
            if s.role == Role.LEAD_HANDLER.value:
                self._handlers.setdefault(s.department_id, []).append(s.user_id)
        self._overseers: dict[tuple[str, str], list[int]] = {}

    def lead_handlers(self, department_ids: Iterable[int]) -> list[int]:
        out: list[int] = []
        for d in department_ids:
            out.extend(self._handlers.get(d, []))
        return sorted(set(out))

    def overseers(self, role: str, order_company_path: str) -> list[int]:
        key = (role, order_company_path)
        if key not in self._overseers:
            self._overseers[key] = sorted(
                {s.user_id for s in self.staff if s.role == role and order_company_path.startswith(s.company_path)}
            )
        return self._overseers[key]

    def responsible(self, lead_department_ids: Iterable[int], order_company_path: str) -> list[int]:
        """Lead handlers once dispatched; before that, the service specialists."""
        ids = list(lead_department_ids)
        if ids:
            return self.lead_handlers(ids)
        return self.overseers(Role.SERVICE_SPECIALIST.value, order_company_path)

    def escalation(self, order_company_path: str) -> list[int]:
        return sorted(
            set(self.overseers(Role.MANAGER.value, order_company_path))
            | set(self.overseers(Role.SERVICE_SPECIALIST.value, order_company_path))
        )


def active_users(user_ids: Iterable[int]) -> list[int]:
    """Those of ``user_ids`` who are still active."""
    from django.contrib.auth import get_user_model

    ids = {u for u in user_ids if u is not None}
    if not ids:
        return []
    return sorted(get_user_model().objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def staff_of(department_ids: Iterable[int], *, roles: Iterable[str] | None = None) -> list[int]:
    """Active staff of these departments (of these roles, else all)."""
    qs = StaffProfile.objects.filter(department_id__in=list(department_ids), user__is_active=True)
    if roles is not None:
        qs = qs.filter(role__in=[str(r) for r in roles])
    return sorted(set(qs.values_list("user_id", flat=True)))


def department_name_of(user_id: int | None) -> str:
    """The name of a user's department ('' if none)."""
    if user_id is None:
        return ""
    return StaffProfile.objects.filter(user_id=user_id).values_list("department__name", flat=True).first() or ""


def opinion_order_handlers(order_company_path: str) -> list[int]:
    """Who handles a public-opinion prevention (舆情防范) order: the service
    specialists and the joint monitoring team (lead handlers of the monitoring
    departments) whose company's subtree holds the order."""
    from griddesk.engines.opinion_workflow import MONITOR_DEPARTMENT_TYPES

    audience = Audience()
    monitoring = set(
        Department.objects.filter(type__in=list(MONITOR_DEPARTMENT_TYPES)).values_list("pk", flat=True)
    )
    team = {
        s.user_id for s in audience.staff
        if s.role == Role.LEAD_HANDLER.value and s.department_id in monitoring and order_company_path.startswith(s.company_path)
    }
    return sorted(team | set(audience.overseers(Role.SERVICE_SPECIALIST.value, order_company_path)))


def inbox(user_id: int) -> QuerySet[Notification]:
    """The user's notices, unread first, newest first (a burst's notices as
    their one digest)."""
    return (
        Notification.objects.filter(recipient_id=user_id, digest__isnull=True)
        .select_related("order")
        .annotate(is_read=ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField()))
        .order_by("is_read", "-created_at", "-id")
    )


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True, digest__isnull=True).count()

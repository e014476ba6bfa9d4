"""The demo organisation plus the few extra staff the demo needs.

``organisation.demo.build_demo_org`` creates one user per role. Complaints of
county customers are routed (grade 3, and grade 1 jointly) to the county
marketing departments, so the demo adds one lead handler for each of them;
otherwise those orders could never be accepted by anybody but the admin.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from griddesk.organisation.access import Actor, actor_for
from griddesk.organisation.demo import DEMO_PASSWORD, DEMO_USERS, DemoOrg, build_demo_org
from griddesk.organisation.models import Department, DepartmentType, RoleChoice, StaffProfile
from griddesk.organisation.selectors import department_company
from griddesk.organisation.services import staff_create

#: (username, department code, role, display name)
EXTRA_USERS = [
    ("east_marketing", "east-marketing", "lead_handler", "陈营销"),
    ("west_marketing", "west-marketing", "lead_handler", "林营销"),
    ("north_marketing", "north-marketing", "lead_handler", "黄营销"),
]


@dataclass
class DemoContext:
    org: DemoOrg
    users: Mapping[str, AbstractUser]
    #: lead department pk → username of the lead handler working there
    handler_of: dict[int, str] = field(default_factory=dict)
    #: lead department pk → usernames of all its lead handlers
    handlers_in: dict[int, list[str]] = field(default_factory=dict)
    #: power-supply station pk → username of its station investigator
    investigator_of: dict[int, str] = field(default_factory=dict)
    #: department pk → pk of its company (city or county)
    company_of: dict[int, int] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        return actor_for(self.users[username])

    def dept(self, code: str) -> Department:
        return self.org.departments[code]

    def confirmer(self, department_id: int | None, submitter: str) -> str:
        """Who confirms a report ``submitter`` wrote (four eyes): another
        handler of the lead department, else (a single-handler department)
        the manager."""
        others = [u for u in self.handlers_in.get(department_id or 0, []) if u != submitter]
        return others[0] if others else "manager"


@transaction.atomic
def ensure_demo_org() -> DemoContext:
    org = build_demo_org()
    # build_demo_org returns early for an existing organisation; refresh the map
    # so departments added since (e.g. by an administrator) are known too.
    org.departments = {d.code: d for d in Department.objects.all()}
    user_model = get_user_model()
    for username, dept, role, full_name in [*DEMO_USERS, *EXTRA_USERS]:
        if dept not in org.departments:
            continue
        if not user_model.objects.filter(username=username).exists():
            staff_create(
                username=username, password=DEMO_PASSWORD, department=org.departments[dept], role=role, full_name=full_name
            )
    names = [u[0] for u in (*DEMO_USERS, *EXTRA_USERS)]
    users = {u.username: u for u in user_model.objects.filter(username__in=names)}
    ctx = DemoContext(org=org, users=users)
    for p in StaffProfile.objects.filter(user__username__in=names).select_related("user", "department").order_by("pk"):
        if p.role == RoleChoice.LEAD_HANDLER:
            ctx.handler_of.setdefault(p.department_id, p.user.username)
            ctx.handlers_in.setdefault(p.department_id, []).append(p.user.username)
        elif p.role == RoleChoice.STATION_INVESTIGATOR:
            ctx.investigator_of.setdefault(p.department_id, p.user.username)
    for d in org.departments.values():
        ctx.company_of[d.pk] = department_company(d).pk
    return ctx


def stations(ctx: DemoContext) -> list[Department]:
    return sorted(
        (d for d in ctx.org.departments.values() if d.type == DepartmentType.POWER_STATION and d.active), key=lambda d: d.code
    )


# ------------------------------------------------------------------ logins table


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def logins_table() -> str:
    """The demo logins as an aligned text table (CJK-width aware)."""
    user_model = get_user_model()
    names = [u[0] for u in (*DEMO_USERS, *EXTRA_USERS)]
    found = {
        u.username: u
        for u in user_model.objects.filter(username__in=names).select_related("staff__department")
    }
    header = ("username", "name", "role", "department", "password")
    rows = [header]
    for username in names:
        u = found.get(username)
        if u is None:
            continue
        profile = getattr(u, "staff", None)
        role = str(profile.get_role_display()) if profile else ("admin" if u.is_superuser else "")
        dept = profile.department.name if profile else ""
        role_code = profile.role if profile else ""
        rows.append((username, u.first_name, f"{role_code} ({role})" if role_code else role, dept, DEMO_PASSWORD))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(_pad(c, w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import QuerySet

from .models import COMPANY_TYPES, Department

if TYPE_CHECKING:
    from .access import Actor


def department_company(dept: Department) -> Department:
    """The nearest company (city or county) at or above ``dept``."""
    ids = [int(p) for p in dept.path.strip("/").split("/") if p]
    companies = {d.pk: d for d in Department.objects.filter(pk__in=ids, type__in=COMPANY_TYPES)}
    for pk in reversed(ids):
        if pk in companies:
            return companies[pk]
    return dept


def department_subtree(dept: Department) -> QuerySet[Department]:
    return Department.objects.filter(path__startswith=dept.path)


def departments_of_type_in(company: Department, dept_type: str) -> QuerySet[Department]:
    """Departments of a type inside ``company``'s subtree, nearest first."""
    return Department.objects.filter(path__startswith=company.path, type=dept_type, active=True).order_by("path")


def company_of_sql(path_expr: str) -> str:
    """SQL for the id of the nearest company at or above the department whose
    path is ``path_expr`` (what ``department_company`` returns), as a scalar
    subquery to join on; two parameters: ``COMPANY_TYPES``."""
    table = connection.ops.quote_name(Department._meta.db_table)
    return (
        f"(SELECT c2.id FROM {table} c2 WHERE c2.type IN (%s, %s) AND {path_expr} LIKE c2.path || '%%' "
        f"ORDER BY length(c2.path) DESC LIMIT 1)"
    )


_TOKEN_SQL: dict[str, str] = {}  # per database vendor


def actor_by_token(key: str) -> tuple[Any, Actor] | None:
    """The user of an API token and their Actor (role, department, company) in
    one query — what DRF's token lookup, ``actor_for`` and ``Actor.company``
    took three for on every API request. None for an unknown token."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from griddesk.common import rows

    from .access import attach_actor
    from .models import StaffProfile

    User = get_user_model()
    ucols, uattrs = rows.columns(User, "u")
    dcols, dattrs = rows.columns(Department, "d")
    ccols, cattrs = rows.columns(Department, "c")
    sql = _TOKEN_SQL.get(connection.vendor)
    if sql is None:
        qn = connection.ops.quote_name
        dept = qn(Department._meta.db_table)
        sql = _TOKEN_SQL[connection.vendor] = (
            f"SELECT {ucols}, p.role, {dcols}, {ccols} FROM {qn(Token._meta.db_table)} t "
            f"JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id "
            f"LEFT JOIN {qn(StaffProfile._meta.db_table)} p ON p.user_id = u.id "
            f"LEFT JOIN {dept} d ON d.id = p.department_id "
            f"LEFT JOIN {dept} c ON c.id = {company_of_sql('d.path')} "
            f"WHERE t.key = %s"
        )
    with rows.cursor() as cur:  # prepared: a lookup by the token's key
        cur.execute(sql, [*COMPANY_TYPES, key])
        row = cur.fetchone()
    if row is None:
        return None
    nu, nd = len(uattrs), len(dattrs)
    user = rows.build(User, uattrs, row[:nu])
    role = row[nu]
    department = rows.build(Department, dattrs, row[nu + 1:nu + 1 + nd])
    company = rows.build(Department, cattrs, row[nu + 1 + nd:])
    actor = attach_actor(user, role, department)
    if department is not None:
        actor.__dict__["company"] = company or department  # the cached_property, as department_company gives it
    return user, actor

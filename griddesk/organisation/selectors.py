from __future__ import annotations

from django.db.models import QuerySet

from .models import COMPANY_TYPES, Department


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

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from griddesk.common.errors import InvalidInput

from .models import Department, StaffProfile


@transaction.atomic
def department_create(*, code: str, name: str, type: str, parent: Department | None = None, area: str = "") -> Department:
    if Department.objects.filter(code=code).exists():
        raise InvalidInput(f"department code {code!r} already exists", code="duplicate", field="code")
    dept = Department.objects.create(code=code, name=name, type=type, parent=parent, area=area or (parent.area if parent else ""))
    dept.path = f"{parent.path if parent else '/'}{dept.pk}/"
    dept.save(update_fields=["path"])
    return dept


@transaction.atomic
def staff_create(
    *, username: str, password: str, department: Department, role: str, full_name: str = "", email: str = ""
) -> AbstractUser:
    user_model = get_user_model()
    user = user_model.objects.create_user(username=username, password=password, email=email)
    if full_name:
        user.first_name = full_name
    user.is_staff = role == "admin"
    user.is_superuser = role == "admin"
    user.save()
    StaffProfile.objects.create(user=user, department=department, role=role)
    return user

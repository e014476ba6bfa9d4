from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Department, StaffProfile
from .services import department_create


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "type", "parent", "area", "active"]
    list_filter = ["type", "active"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The materialised path is set at creation; moving a department in the
        # tree is not supported from the admin.
        return ["parent"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.save()
        else:
            created = department_create(code=obj.code, name=obj.name, type=obj.type, parent=obj.parent, area=obj.area)
            obj.pk = created.pk


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department__type"]

"""Departments (a company → county company → station tree) and staff roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from griddesk.engines.workflow import Role


class DepartmentType(models.TextChoices):
    COMPANY = "company", _("City company")
    COUNTY_COMPANY = "county_company", _("County company")
    STATION_95598 = "station_95598", _("95598 station")
    MARKETING = "marketing", _("Marketing department")
    AUDIT = "audit", _("Audit and supervision department")
    CUSTOMER_CENTER = "customer_center", _("Customer service center")
    POWER_STATION = "power_station", _("Power-supply station")
    PARTY_MASS = "party_mass", _("Party-mass work department")


#: Types that are companies (roots of a subtree that managers oversee).
COMPANY_TYPES = (DepartmentType.COMPANY, DepartmentType.COUNTY_COMPANY)


class RoleChoice(models.TextChoices):
    AGENT_95598 = Role.AGENT_95598.value, _("95598 agent")
    SERVICE_SPECIALIST = Role.SERVICE_SPECIALIST.value, _("Marketing service specialist")
    LEAD_HANDLER = Role.LEAD_HANDLER.value, _("Lead-department handler")
    STATION_INVESTIGATOR = Role.STATION_INVESTIGATOR.value, _("Station investigator")
    MANAGER = Role.MANAGER.value, _("Manager")
    ADMIN = Role.ADMIN.value, _("Administrator")
    LEADER = Role.LEADER.value, _("Read-only leader")


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=32, choices=DepartmentType.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path of primary keys ("/1/4/17/") so a manager's subtree is one
    # indexed prefix query instead of a recursive walk.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    area = models.CharField(_("area"), max_length=50, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(_("role"), max_length=32, choices=RoleChoice.choices)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

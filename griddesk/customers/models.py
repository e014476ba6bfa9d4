from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerCategory(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial (non-residential)")
    LARGE_INDUSTRY = "large_industry", _("Large industry")
    AGRICULTURAL = "agricultural", _("Agricultural")


class VoltageLevel(models.TextChoices):
    V220 = "220V", "220V"
    V380 = "380V", "380V"
    KV10 = "10kV", "10kV"
    KV35 = "35kV", "35kV"
    KV110 = "110kV", "110kV"


class Customer(models.Model):
    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=CustomerCategory.choices, default=CustomerCategory.RESIDENTIAL
    )
    voltage_level = models.CharField(_("voltage level"), max_length=10, choices=VoltageLevel.choices, blank=True)
    station = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("supply station"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customers",
    )
    sensitive = models.BooleanField(_("sensitive customer"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.account_no} {self.name}"


class PiiAccess(models.Model):
    """One row each time a user is shown a customer's personal data unmasked."""

    user = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="pii_accesses")
    order_number = models.CharField(max_length=32, blank=True)
    fields = models.CharField(max_length=100)
    via = models.CharField(max_length=20)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")

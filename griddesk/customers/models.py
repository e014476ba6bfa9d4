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
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
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
    """One row per view that showed personal data unmasked (a page, an API
    reply, a list of 50 orders): who saw it, when, from where, through which
    page or endpoint, which fields, and every customer and order it showed.

    ``accounts`` and ``orders`` hold the account and order numbers shown,
    space-separated with a space at each end, so "who saw customer X" is
    ``accounts__contains=" X "`` (``selectors.pii_accesses_of``). ``customer``
    and ``order_number`` are filled when the view showed exactly one."""

    user = models.ForeignKey("auth.User", verbose_name=_("user"), on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), null=True, blank=True, on_delete=models.SET_NULL, related_name="pii_accesses"
    )
    order_number = models.CharField(_("order number"), max_length=32, blank=True)
    accounts = models.TextField(_("account numbers shown"), blank=True, default="")
    orders = models.TextField(_("orders shown"), blank=True, default="")
    count = models.PositiveIntegerField(_("customers shown"), default=1)
    fields = models.CharField(_("fields"), max_length=100)
    via = models.CharField(_("via"), max_length=20)
    path = models.CharField(_("request"), max_length=500, blank=True, default="")
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data accesses")


class CustomerChange(models.Model):
    """Append-only history of changes to a customer record: which field, the
    old and the new value, who, when, and through which work order (a new
    phone number offered at intake). Shown masked to roles without
    personal-data rights (``masking``). Never updated or deleted."""

    class Field(models.TextChoices):
        PHONE = "phone", _("phone")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    old_value = models.CharField(_("old value"), max_length=200, blank=True)
    new_value = models.CharField(_("new value"), max_length=200, blank=True)
    user = models.ForeignKey("auth.User", verbose_name=_("user"), null=True, on_delete=models.PROTECT, related_name="+")
    order_number = models.CharField(_("order number"), max_length=32, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        indexes = [models.Index(fields=["customer", "-at"], name="customers_change_cust_at")]

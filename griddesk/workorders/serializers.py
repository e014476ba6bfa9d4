"""API shapes. Validation of input only; all decisions are in services. The
actions' input serializers are declared with the actions (``actions.py``)."""

from __future__ import annotations

from typing import Any

from django.db import models as dj_models
from django.db import transaction
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from griddesk.common.validation import MAX_CONTENT_CHARS, AwareDateTimeField, CleanCharField
from griddesk.customers import masking
from griddesk.customers.models import CustomerCategory
from griddesk.engines.workflow import CONFIDENTIAL_PII_ROLES, PII_ROLES
from griddesk.organisation.access import Actor

from . import selectors
from .models import Channel, OrderType, WorkOrder, WorkOrderComment, WorkOrderEvent
from .services import COMMENT_MAX_CHARS, CustomerData, IntakeData


class CustomerInSerializer(serializers.Serializer):
    account_no = CleanCharField(max_length=32)
    name = CleanCharField(max_length=100, required=False, allow_blank=True, default="")
    phone = serializers.RegexField(r"^[0-9+\-() ]{0,20}$", required=False, allow_blank=True, default="",
                                   error_messages={"invalid": _("Not a valid phone number.")})
    address = CleanCharField(max_length=200, required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=CustomerCategory.choices, required=False, default="residential")

    def validate_account_no(self, value: str) -> str:
        value = value.strip()
        if not value.isalnum():
            raise serializers.ValidationError(_("The account number may contain only letters and digits."), code="invalid")
        return value


class IntakeSerializer(serializers.Serializer):
    external_id = CleanCharField(max_length=64, required=False, allow_null=True, allow_blank=True, default=None)
    channel = serializers.ChoiceField(choices=Channel.choices)
    type = serializers.ChoiceField(choices=OrderType.choices)
    category = CleanCharField(max_length=64, required=False, allow_null=True, allow_blank=True, default=None)
    title = CleanCharField(max_length=200, required=False, allow_blank=True, default="")
    content = CleanCharField(max_length=MAX_CONTENT_CHARS)
    remedy_sought = CleanCharField(max_length=2000, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    received_at = AwareDateTimeField()
    customer = CustomerInSerializer(required=False, allow_null=True, default=None)
    area = CleanCharField(
        max_length=64, required=False, allow_null=True, allow_blank=True, default=None,
        help_text="Code of the (county) company the order belongs to when the customer has no supply station on file.",
    )
    update_customer_phone = serializers.BooleanField(
        required=False, default=False,
        help_text="The customer's phone differs from the caller's: make the caller's the customer's phone (with history).",
    )

    def to_data(self) -> IntakeData:
        return self.intake_data(self.validated_data)

    @staticmethod
    def intake_data(validated: Any) -> IntakeData:
        v = dict(validated)
        cust = v.pop("customer", None)
        return IntakeData(
            customer=CustomerData(**cust) if cust else None,
            external_id=(v.pop("external_id") or None),
            category=(v.pop("category") or None),
            area=(v.pop("area", None) or None),
            **v,
        )


class WorkOrderSerializer(serializers.ModelSerializer):
    """Order as shown to one actor: personal data masked unless their role needs it."""

    category = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    lead_departments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    time_left_seconds = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    repeat_of = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    company = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WorkOrder
        fields = [
            "number", "external_id", "type", "channel", "category", "title", "content", "remedy_sought", "anonymous",
            "received_at", "customer", "company", "state", "grade", "complexity", "suggested_grade",
            "suggested_complexity", "suggestion_reasons", "lead_departments", "deadline_at", "deadline_provisional",
            "time_left_seconds", "overdue", "urge_count", "escalated", "is_repeat", "repeat_of", "reopen_count",
            "merged_into", "closed_at", "version", "allowed_actions", "created_at",
            "sla_policy", "handling_started_at", "suspended_at", "suspension_extension",
            "stage", "stage_deadline_at", "stage_provisional", "stage_overdue",
        ]
        read_only_fields = fields

    @property
    def actor(self) -> Actor:
        return self.context["actor"]  # type: ignore[no-any-return]

    # Fast path: the same output as DRF's field-by-field rendering (tested in
    # tests/api/test_fast_paths.py) at a fraction of the cost. The plan — how to
    # render each field of Meta.fields — is worked out once per serializer
    # instance (a list shares its child); field types it does not know fall
    # back to the DRF field, so fields added later stay correct.
    _FAST_MODEL_FIELDS = (dj_models.CharField, dj_models.TextField, dj_models.IntegerField, dj_models.BooleanField,
                          dj_models.JSONField)

    def _plan(self) -> list[tuple[str, str, Any]]:
        plan = self.__dict__.get("_fast_plan")
        if plan is not None:
            return plan  # type: ignore[no-any-return]
        plan = []
        declared = self._declared_fields
        for name in self.Meta.fields:
            if name in ("time_left_seconds", "overdue"):
                plan.append((name, name, None))
            elif isinstance(declared.get(name), serializers.SerializerMethodField):
                plan.append((name, "method", getattr(self, f"get_{name}")))
            elif isinstance(declared.get(name), serializers.SlugRelatedField):
                mf = WorkOrder._meta.get_field(name)
                plan.append((name, "slug", (mf.attname, declared[name].slug_field)))
            elif name in declared:
                plan.append((name, "drf", self.fields[name]))
            else:
                mf = WorkOrder._meta.get_field(name)
                if isinstance(mf, dj_models.DateTimeField):
                    plan.append((name, "dt", None))
                elif isinstance(mf, self._FAST_MODEL_FIELDS) and not isinstance(mf, dj_models.ForeignKey):
                    plan.append((name, "raw", None))
                else:
                    plan.append((name, "drf", self.fields[name]))
        self.__dict__["_fast_plan"] = plan
        return plan

    def to_representation(self, instance: WorkOrder) -> dict[str, Any]:
        tz = dj_timezone.get_current_timezone()
        left = selectors.time_left_seconds(instance)
        out: dict[str, Any] = {}
        for name, kind, extra in self._plan():
            if kind == "raw":
                out[name] = getattr(instance, name)
            elif kind == "dt":
                v = getattr(instance, name)
                if v:
                    v = v.astimezone(tz).isoformat()
                    if v.endswith("+00:00"):
                        v = v[:-6] + "Z"
                out[name] = v or None
            elif kind == "method":
                out[name] = extra(instance)
            elif kind == "slug":
                attname, slug = extra
                out[name] = getattr(getattr(instance, name), slug) if getattr(instance, attname) is not None else None
            elif kind == "time_left_seconds":
                out[name] = left
            elif kind == "overdue":
                out[name] = left is not None and left < 0
            else:
                v = extra.get_attribute(instance)
                out[name] = None if v is None else extra.to_representation(v)
        return out

    def get_category(self, obj: WorkOrder) -> str | None:
        return obj.category.code if obj.category_id and obj.category else None

    def get_lead_departments(self, obj: WorkOrder) -> list[str]:
        codes = self.context.get("lead_codes")
        if codes is not None:
            return list(codes.get(obj.pk, ()))
        # Read a prefetch directly: obj.lead_assignments.all() builds a manager
        # and clones a queryset per row (~1 ms per order in a list).
        prefetched = getattr(obj, "_prefetched_objects_cache", {}).get("lead_assignments")
        rows = prefetched if prefetched is not None else obj.lead_assignments.all()
        return [a.department.code for a in rows]

    def get_allowed_actions(self, obj: WorkOrder) -> list[str]:
        if not self.context.get("detail"):
            return []
        return selectors.allowed_actions(self.actor, obj)

    def get_time_left_seconds(self, obj: WorkOrder) -> int | None:
        return selectors.time_left_seconds(obj)

    def get_overdue(self, obj: WorkOrder) -> bool:
        left = selectors.time_left_seconds(obj)
        return left is not None and left < 0

    def get_customer(self, obj: WorkOrder) -> dict[str, Any] | None:
        c = obj.customer
        if c is None:
            return None
        role = self.actor.role
        allowed = PII_ROLES if not obj.anonymous else CONFIDENTIAL_PII_ROLES
        unmasked = role in allowed
        out = {
            "account_no": c.account_no,
            "category": c.category,
            "sensitive": c.sensitive,
            "masked": not unmasked,
        }
        if unmasked:
            out.update(name=c.name, phone=c.phone, address=c.address)
            log = self.context.get("pii_log")
            if log is not None:
                log.append((c, obj.number))
        else:
            hide_name = obj.anonymous
            out.update(
                name=masking.mask_name(c.name) if hide_name else c.name,
                phone=masking.mask_phone(c.phone),
                address=masking.mask_address(c.address),
            )
            if obj.anonymous:
                out["account_no"] = masking.mask_id_number(c.account_no)
        return out


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = WorkOrderEvent
        fields = ["seq", "action", "actor", "at", "from_state", "to_state", "note", "data"]


class CommentSerializer(serializers.ModelSerializer):
    """An internal comment as staff see it: the author by full name."""

    author = serializers.SerializerMethodField()
    author_username = serializers.CharField(source="author_name")

    class Meta:
        model = WorkOrderComment
        fields = ["id", "body", "author", "author_username", "at"]

    def get_author(self, obj: WorkOrderComment) -> str:
        user = obj.author
        if user is None:
            return obj.author_name
        return str(user.get_full_name().strip() or user.get_username())


class CommentCreateSerializer(serializers.Serializer):
    body = CleanCharField(
        max_length=COMMENT_MAX_CHARS,
        error_messages={
            "required": _("Write a comment first."),
            "blank": _("Write a comment first."),
            "max_length": _("A comment may be at most 2000 characters long."),
            "invalid": _("Write the comment as text."),
        },
    )


def render_orders(
    user: Any, actor: Actor, orders: Any, *, detail: bool, via: str, many: bool = False,
    lead_codes: dict[int, list[str]] | None = None, search: Any = None,
) -> Any:
    """Serialise order(s) as ``actor`` may see them and log unmasked personal data.

    The one place both the API and the web pages go through, so masking and its
    access log cannot drift apart. ``lead_codes`` (order id → lead department
    codes, ``selectors.lead_departments_by_order``) replaces a prefetch on lists.
    """
    from griddesk.customers.services import pii_access_log

    pii_log: list[Any] = []
    context = {"actor": actor, "detail": detail, "pii_log": pii_log, "lead_codes": lead_codes}
    # One transaction (the caller's when it has one: the list API's, the
    # intake's): the data shown and the single access-log row of this view
    # commit together.
    with transaction.atomic(savepoint=False):
        data = WorkOrderSerializer(orders, many=many, context=context).data
        if search is not None and search.personal:
            # A personal-data search is logged like an unmasked view (even
            # when it finds nothing): the request path carries the query.
            from .search import personal_fields

            pii_access_log(user=user, entries=pii_log, via=via, fields=personal_fields(search), always=True)
        else:
            pii_access_log(user=user, entries=pii_log, via=via)
    return data


_intake_serializer: IntakeSerializer | None = None


def parse_intake(item: Any) -> IntakeData:
    """One intake body as IntakeData, or ValidationError exactly as
    ``IntakeSerializer(data=item).is_valid(raise_exception=True)`` raises it.
    One serializer instance validates every body (``run_validation`` keeps no
    state on it): building its fields is a deep copy of 16 field objects, a
    sixth of an intake's CPU. A body it refuses goes through ``is_valid`` for
    DRF's own error shape (``{"non_field_errors": ["No data provided"]}`` for
    ``null``, …)."""
    from rest_framework.exceptions import ValidationError

    global _intake_serializer
    if _intake_serializer is None:
        _intake_serializer = IntakeSerializer()
    try:
        return IntakeSerializer.intake_data(_intake_serializer.run_validation(item))
    except ValidationError:
        s = IntakeSerializer(data=item)
        s.is_valid(raise_exception=True)
        raise


def parse_intake_items(items: list[Any]) -> list[IntakeData | dict[str, Any]]:
    """Validate many intake items with one serializer instance (building the
    fields once, not per item); each item becomes IntakeData or its errors."""
    from rest_framework.exceptions import ValidationError

    from griddesk.common.errors import error_details

    child = IntakeSerializer()
    out: list[IntakeData | dict[str, Any]] = []
    for item in items:
        try:
            out.append(IntakeSerializer.intake_data(child.run_validation(item)))
        except ValidationError as exc:
            detail = exc.get_full_details()
            out.append(error_details(detail if isinstance(detail, dict) else {"non_field_errors": detail}))
    return out

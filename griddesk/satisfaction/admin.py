"""Admin for the editable rule and the questionnaires. Every save and delete is
audited (``griddesk.common.rule_audit``: a RuleChange row, before/after) through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from griddesk.common.admin import AuditedRuleAdmin
from griddesk.common.rule_audit import rule_delete, rule_save

from .models import AhpWeighting, Construct, Indicator, IndexSnapshot, PathLink, Questionnaire, SurveyResponse, VisitRule
from .structure import STRUCTURAL, inactive_hint, structure_problems


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedRuleAdmin):
    list_display = ["code", "due_working_days", "max_attempts", "assignee", "active"]


class StructureFormSet(BaseInlineFormSet):
    """Inline formsets of one questionnaire edit, aware of each other (``siblings``)
    so the last one can check the structure the whole edit would produce."""

    check_structure = False

    def __init__(self, *args: Any, siblings: dict[type, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.siblings = siblings if siblings is not None else {}
        self.siblings[self.model] = self

    def kept(self) -> tuple[list[tuple[dict[str, Any], Any]], set[int]]:
        """(cleaned data, instance) of the rows the edit keeps; pks it deletes."""
        rows: list[tuple[dict[str, Any], Any]] = []
        deleted: set[int] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                if form.instance.pk is not None:
                    deleted.add(form.instance.pk)
                continue
            if form.instance.pk is None and not form.has_changed():
                continue  # an empty extra row
            rows.append((data, form.instance))
        return rows, deleted

    def clean(self) -> None:
        super().clean()
        if not self.check_structure:
            return
        group = [self.siblings.get(m) for m in (Construct, Indicator, PathLink)]
        if any(fs is None or not fs.is_valid() for fs in group[:2]) or any(self.errors):
            return  # row errors first
        problems = _structure_check(self.instance, *group)  # type: ignore[arg-type]
        if problems:
            messages = [p.message for p in problems]
            if self.instance.active and not any(p.code in STRUCTURAL for p in problems):
                messages.append(inactive_hint())
            raise ValidationError(messages, code="invalid_structure")


class PathFormSet(StructureFormSet):
    check_structure = True


def _structure_check(q: Questionnaire, constructs: StructureFormSet, indicators: StructureFormSet,
                     paths: StructureFormSet) -> list[Any]:
    con_rows, con_deleted = constructs.kept()
    codes_by_pk = {inst.pk: data["code"] for data, inst in con_rows if inst.pk is not None}

    def code_of(c: Construct | None) -> str | None:
        """The construct's code after this edit; None = not this questionnaire's; "" = deleted (cascades)."""
        if c is None or c.questionnaire_id != q.pk or q.pk is None:
            return None
        if c.pk in con_deleted:
            return ""
        return codes_by_pk.get(c.pk, c.code)

    inds = []
    for data, _inst in indicators.kept()[0]:
        con = code_of(data.get("construct"))
        if con != "":
            inds.append((data["code"], con))
    links = []
    for data, _inst in paths.kept()[0]:
        src, dst = code_of(data.get("source")), code_of(data.get("target"))
        if src != "" and dst != "":
            links.append((src, dst))
    return structure_problems(constructs=[(d["code"], d.get("mode") or "A") for d, _i in con_rows], indicators=inds,
                              paths=links, index_construct=q.index_construct, active=q.active)


class ConstructInline(admin.TabularInline):
    model = Construct
    formset = StructureFormSet
    extra = 0


class PathInline(admin.TabularInline):
    model = PathLink
    formset = PathFormSet
    extra = 0


class IndicatorInline(admin.TabularInline):
    model = Indicator
    formset = StructureFormSet
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(AuditedRuleAdmin):
    """Constructs, indicators and paths are edited together; the structure the
    edit would produce is checked (``structure.structure_problems``) before any
    row is saved, and every saved row is audited."""

    list_display = ["code", "name", "scale_max", "missing_policy", "max_missing_per_row", "active"]
    inlines = [ConstructInline, IndicatorInline, PathInline]  # paths last: its formset checks the structure

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if not hasattr(request, "_structure_formsets"):
            request._structure_formsets = {}  # type: ignore[attr-defined]
        kwargs["siblings"] = request._structure_formsets  # type: ignore[attr-defined]
        return kwargs

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            rule_delete(actor=request.user, instance=obj)
        for obj in instances:
            rule_save(actor=request.user, instance=obj, created=obj.pk is None)
        formset.save_m2m()


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["respondent", "questionnaire", "answered_on", "area", "customer_category", "channel", "source"]
    list_filter = ["questionnaire", "source", "customer_category", "channel"]
    search_fields = ["respondent"]
    readonly_fields = ["created_at"]


@admin.register(IndexSnapshot)
class IndexSnapshotAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "period", "segment", "state", "n", "computed_at"]
    readonly_fields = [f.name for f in IndexSnapshot._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AhpWeighting)
class AhpWeightingAdmin(admin.ModelAdmin):
    """History of the AHP matrices (entered on /satisfaction/weights/, validated by the engine)."""

    list_display = ["questionnaire", "labels", "cr", "method", "active", "created_by", "created_at"]
    list_filter = ["questionnaire", "active"]
    readonly_fields = [f.name for f in AhpWeighting._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

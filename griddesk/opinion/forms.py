"""Web forms: board filters and the inspection-finding form. Validation of the
item itself is the API's ItemSerializer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from griddesk.organisation.models import Department, DepartmentType

from .models import RiskLevel, SourceKind, StoryState, Topic


def _blank(choices: Any) -> list[tuple[str, Any]]:
    return [("", _("All")), *choices]


def _areas() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in Department.objects.filter(type=DepartmentType.COUNTY_COMPANY, active=True).order_by("path")]


class BoardFilterForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), required=False, choices=_blank(Topic.choices))
    area = forms.ChoiceField(label=_("Area"), required=False, choices=[])
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_blank(SourceKind.choices))
    level = forms.ChoiceField(label=_("Risk"), required=False, choices=_blank(RiskLevel.choices))
    state = forms.ChoiceField(label=_("State"), required=False, choices=_blank(StoryState.choices))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = _blank(_areas())  # type: ignore[attr-defined]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class FindingForm(forms.Form):
    """A staff member enters an inspection finding (明察暗访) or another item."""

    source_kind = forms.ChoiceField(label=_("Source kind"), choices=SourceKind.choices, initial=SourceKind.INSPECTION)
    source_name = forms.CharField(label=_("Source name"), max_length=100, required=False,
                                  help_text=_("e.g. covert visit to the 城关 business hall"))
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    text = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 6}))
    published_at = forms.DateTimeField(label=_("Found at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    area = forms.ChoiceField(label=_("Area"), required=False, choices=[])
    url = forms.CharField(label=_("URL"), max_length=1000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—"), *_areas()]  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("published_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def payload(self) -> dict[str, Any]:
        d = self.cleaned_data
        at = d["published_at"]
        if timezone.is_naive(at):
            at = timezone.make_aware(at, timezone.get_default_timezone())
        return {
            "source_kind": d["source_kind"], "source_name": d["source_name"], "title": d["title"], "text": d["text"],
            "published_at": at.isoformat(), "area": d["area"], "url": d["url"],
        }

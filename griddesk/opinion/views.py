"""The monitoring board and story pages (server-rendered). Thin: selectors to
read, services to write, the API serializers to validate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.fields import BooleanField

from griddesk.common.errors import InvalidInput, ServiceError
from griddesk.common.files import read_upload
from griddesk.organisation.access import Actor, actor_for

from . import actions, imports, presenters, selectors, services
from .forms import BoardFilterForm, FindingForm
from .models import EmergencyLevel, OpinionItem, RiskLevel, StoryAction, Topic
from .serializers import EmergencyCloseSerializer, ItemSerializer, NoteSerializer

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


def _require(actor: Actor, action: str) -> None:
    """A page the role may not open is 403 with the reason (the one rule of
    every staff page); a story outside the user's scope stays 404."""
    if not selectors.can(actor, action):
        if action == "view":
            raise PermissionDenied(_("Your role does not take part in public-opinion monitoring."))
        raise PermissionDenied(_("Your role may not enter public-opinion items."))


@login_required
def board(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require(actor, "view")
    form = BoardFilterForm(request.GET or None)
    filters = form.filters()
    page = Paginator(selectors.board(actor, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    stories = list(page.object_list)
    sparks = selectors.sparklines([s.pk for s in stories])
    topic_labels = {v: str(label) for v, label in Topic.choices}
    by_topic = selectors.trend(actor, by="topic")
    by_topic["series"] = {topic_labels.get(k, k): v for k, v in by_topic["series"].items()}
    charts = {
        "sparks": {str(k): v for k, v in sparks.items()},
        "topic": by_topic,
        "area": selectors.trend(actor, by="area"),
    }
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "opinion/board.html", {
        "form": form, "page": page, "stories": stories, "query": params.urlencode(),
        "charts": charts, "areas": selectors.area_breakdown(actor, since=timezone.now() - timedelta(days=7)),
        "can_intake": selectors.can(actor, "intake"),
    })


def _story_or_404(actor: Actor, story_id: int) -> Any:
    story = selectors.story_get(actor, story_id)
    if story is None:
        raise Http404(_("Story %(id)s was not found.") % {"id": story_id})
    return story


def _highlight(actor: Actor, request: HttpRequest, items: list[OpinionItem]) -> list[dict[str, Any]]:
    unmasked = selectors.sees_pii(actor)
    out = []
    logged = []
    for it in items:
        segs, has_pii = presenters.segments(it, unmasked=unmasked)
        if has_pii and unmasked:
            logged.append(it)
        out.append({"item": it, "segments": segs, "masked": has_pii and not unmasked})
    if logged and request.user.pk:
        from .models import ItemPiiAccess

        ItemPiiAccess.objects.bulk_create([ItemPiiAccess(user=request.user, item=i, via="web") for i in logged])
    return out


@login_required
def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    actor = _actor(request)
    _require(actor, "view")
    story = _story_or_404(actor, story_id)
    items = list(selectors.story_items(story)[:200])
    shown = _highlight(actor, request, items)
    allowed = selectors.story_allowed_actions(actor, story)
    report = selectors.story_order_report(story)
    return render(request, "opinion/story.html", {
        "story": story, "report": report, "report_summary": presenters.report_summary(report) if report else "", "items": shown, "events": selectors.story_events(story),
        "emergencies": selectors.story_emergencies(story), "allowed": allowed,
        # each allowed action's form, as its declaration says (griddesk.opinion.actions)
        "action_specs": [actions.BY_ACTION[a] for a in allowed],
        "levels": RiskLevel.choices, "emergency_levels": EmergencyLevel.choices,
        "action_labels": {c.value: c.label for c in StoryAction},
        "can_close_emergency": selectors.can(actor, "emergency_close"),
        "can_notice": selectors.can(actor, "emergency"),
        "spark": selectors.sparklines([story.pk], hours=48)[story.pk],
    })


@login_required
@require_POST
def story_act(request: HttpRequest, story_id: int) -> HttpResponse:
    actor = _actor(request)
    _require(actor, "view")
    action = request.POST.get("action", "")
    declared = actions.spec(action)
    if declared is None:
        messages.error(request, _("Unknown action."))
        return redirect("opinion:story", story_id=story_id)
    data = request.POST.dict()
    for name, f in declared.serializer().fields.items():
        if isinstance(f, BooleanField):  # an unticked checkbox is not posted
            data[name] = name in request.POST
    s = declared.serializer(data=data)
    if not s.is_valid():
        for field, errs in s.errors.items():
            for e in errs:
                messages.error(request, f"{field}: {e}")
        return redirect("opinion:story", story_id=story_id)
    try:
        services.story_act(story=story_id, actor=actor, action=action, data=dict(s.validated_data))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(action)s” done.") % {"action": services.action_label(action)})
    return redirect("opinion:story", story_id=story_id)


@login_required
@require_POST
def emergency_act(request: HttpRequest, response_id: int) -> HttpResponse:
    actor = _actor(request)
    story_id = request.POST.get("story", "")
    try:
        if request.POST.get("action") == "close":
            s = EmergencyCloseSerializer(data=request.POST)
            if not s.is_valid():
                raise InvalidInput(_("Summarise the response before closing it."), code="required", field="summary")
            services.emergency_close(response=response_id, actor=actor, summary=s.validated_data["summary"])
        else:
            n = NoteSerializer(data=request.POST)
            n.is_valid()
            services.emergency_notice(response=response_id, actor=actor, note=n.validated_data.get("note", "") if n.is_valid() else "")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("opinion:story", story_id=int(story_id)) if story_id.isdigit() else redirect("opinion:board")


@login_required
@require_http_methods(["GET", "POST"])
def finding_new(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require(actor, "intake")
    form = FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        s = ItemSerializer(data=form.payload())
        if s.is_valid():
            try:
                (r,) = services.opinion_items_intake(actor=actor, items=[s.to_data()], via=OpinionItem.Via.FORM)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                if r.item is not None:
                    if r.status == "existing":
                        messages.info(request, _("This item was already recorded."))
                    else:
                        messages.success(request, _("Recorded; risk %(level)s.") % {"level": r.item.get_risk_level_display()})
                    return redirect("opinion:story", story_id=r.item.story_id)
                for field, errs in (r.errors or {}).items():
                    for e in errs:
                        form.add_error(field if field in form.fields else None, e["message"])
        else:
            for field, errs in s.errors.items():
                for e in errs:
                    form.add_error(field if field in form.fields else None, str(e))
    return render(request, "opinion/finding_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def import_items(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    _require(actor, "intake")
    report = None
    error = ""
    error_code = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or XLSX file.")
        else:
            try:
                report = imports.import_file(actor=actor, filename=upload.name or "", data=read_upload(upload))
            except ServiceError as exc:
                error, error_code = exc.message, exc.code
    return render(request, "opinion/import.html", {"report": report, "error": error, "error_code": error_code,
                                                   "columns": imports.COLUMNS},
                  status=400 if error else 200)

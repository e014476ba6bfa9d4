"""Thin REST endpoints for return visits and satisfaction: parse, call a
selector or service, serialise."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from griddesk.common.errors import Forbidden, InvalidInput, NotFound
from griddesk.common.files import read_upload
from griddesk.common.pagination import Pagination, page_parameters, paginated_schema
from griddesk.common.validation import MAX_CONTENT_CHARS, CleanCharField
from griddesk.organisation.access import Actor, actor_for
from griddesk.workorders.models import ReturnVisit

from . import presenters, selectors, services, surveys
from .models import Questionnaire


def _actor(request: Request) -> Actor:
    return actor_for(request.user)


def _require_analyst(actor: Actor) -> None:
    if actor.role not in selectors.ANALYST_ROLES:
        raise Forbidden(_("Your role may not see satisfaction figures."))


def _require_index_computer(actor: Actor) -> None:
    """Computing (or recomputing) the index costs a worker: the read-only leader
    may read the stored index, not start computations."""
    if actor.role not in selectors.INDEX_COMPUTE_ROLES:
        raise Forbidden(_("Your role may not recompute the index."), code="index_compute_forbidden")


# ------------------------------------------------------------------ return visits


class AttemptSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ReturnVisit.Method.choices)
    reached = serializers.BooleanField()
    note = CleanCharField(max_length=2000, required=False, allow_blank=True, default="")
    client_key = CleanCharField(max_length=64, required=False, allow_blank=True, default="")


class OutcomeSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=ReturnVisit.Method.choices)
    outcome = serializers.ChoiceField(choices=ReturnVisit.Outcome.choices)
    customer_words = CleanCharField(max_length=MAX_CONTENT_CHARS, required=False, allow_blank=True, default="")
    solved = serializers.BooleanField(required=False, allow_null=True, default=None)


class VisitTaskListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("state", str, required=False, description="open (default) / done / all"),
                    OpenApiParameter("all", bool, required=False, description="specialists: include the customer service center's"),
                    *page_parameters()],
        responses={200: paginated_schema()},
        description="My return-visit tasks, due first; `overdue` flags tasks past their due time.",
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        state = request.query_params.get("state", "open")
        if state not in ("open", "done", "all"):
            raise InvalidInput(_("State must be open, done or all."), code="invalid_choice", field="state")
        qs = selectors.visit_task_list(actor, state="" if state == "all" else state, mine=request.query_params.get("all") not in ("1", "true"))
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self) or []
        presenters.log_unmasked(request.user, actor, page, "api-visits")
        return paginator.get_paginated_response([presenters.task_dict(actor, t) for t in page])


class VisitTaskDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        task = selectors.visit_task_get(actor, pk)
        if task is None:
            raise NotFound(_("Return-visit task %(id)s was not found.") % {"id": pk})
        presenters.log_unmasked(request.user, actor, [task], "api-visit")
        return Response(presenters.task_dict(actor, task, attempts=True))


def _task_body(request: Request, actor: Actor, task_id: int) -> dict[str, Any]:
    task = selectors.visit_task_get(actor, task_id)
    assert task is not None
    return presenters.task_dict(actor, task, attempts=True)


class VisitAttemptApi(APIView):
    @extend_schema(request=AttemptSerializer, responses={201: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT}, description="Log a contact attempt. The visit closes as unreachable "
                   "after the rule's number of failed attempts. Retrying with the same client_key is safe.")
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        s = AttemptSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        _task, _attempt, created = services.visit_attempt_record(task_id=pk, actor=actor, **s.validated_data)
        return Response(_task_body(request, actor, pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class VisitOutcomeApi(APIView):
    @extend_schema(request=OutcomeSerializer, responses=OpenApiTypes.OBJECT, description="Record the outcome through the work order's return_visit "
                   "action. Unsatisfied reopens the order (repeat) with the customer's words.")
    def post(self, request: Request, pk: int) -> Response:
        actor = _actor(request)
        s = OutcomeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.visit_outcome_record(task_id=pk, actor=actor, **s.validated_data)
        return Response(_task_body(request, actor, pk))


class VisitRatesApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("by", str, required=True, enum=list(selectors.RATE_DIMENSIONS)),
                    OpenApiParameter("period", str, required=False, description="2026-10, 2026-Q4 or 2026")],
        responses=OpenApiTypes.OBJECT,
        description="Return-visit satisfaction rate = (satisfied + basically satisfied) / reached visits "
        "(visits whose outcome is not unreachable), per group, with numerator and denominator.",
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        _require_analyst(actor)
        by = request.query_params.get("by", "department")
        period = request.query_params.get("period") or None
        rows = selectors.visit_rates(actor, by=by, period=period)
        num = sum(r["numerator"] for r in rows)
        den = sum(r["denominator"] for r in rows)
        return Response({
            "by": by,
            "period": period,
            "definition": str(_l("(satisfied + basically satisfied) / reached visits; unreachable visits are excluded")),
            "total": {"numerator": num, "denominator": den, "rate": round(num / den, 4) if den else None},
            "rows": rows,
        })


# ------------------------------------------------------------------ surveys


def _questionnaire(actor: Actor, code: str | None) -> Questionnaire:
    _require_analyst(actor)
    if not code:
        raise InvalidInput(_("Name the questionnaire."), code="required", field="questionnaire")
    q = selectors.questionnaires_visible_to(actor).filter(code=code).first()
    if q is None:
        raise NotFound(_("Questionnaire %(code)s was not found.") % {"code": code})
    return q


class QuestionnaireListApi(APIView):
    @extend_schema(responses={200: {"type": "array", "items": {"type": "object", "additionalProperties": True}}})
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        _require_analyst(actor)
        return Response([surveys.questionnaire_dict(q) for q in selectors.questionnaires_visible_to(actor).filter(active=True)])


class QuestionnaireDetailApi(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, code: str) -> Response:
        return Response(surveys.questionnaire_dict(_questionnaire(_actor(request), code), full=True))


def response_dict(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "respondent": r.respondent, "answered_on": r.answered_on.isoformat(),
            "area": r.area.code if r.area_id and r.area else None, "customer_category": r.customer_category or None,
            "channel": r.channel or None, "source": r.source, "answers": r.answers}


class ResponsesApi(APIView):
    json_list_body = True  # a bare list of responses is accepted too

    @extend_schema(
        parameters=[OpenApiParameter("snapshot", int, required=False, description="the responses behind this snapshot"),
                    OpenApiParameter("dim", str, required=False, enum=list(selectors.DRILL_DIMENSIONS)),
                    OpenApiParameter("key", str, required=False, description="segment key as in the snapshot (\"\" = none)"),
                    OpenApiParameter("period", str, required=False), OpenApiParameter("segment", str, required=False),
                    *page_parameters()],
        responses={200: paginated_schema()},
        description="Drill-down: the responses behind a number of the index (`count` equals the number's n), "
        "filtered to the viewer's company. Without `snapshot`, by period / segment.",
    )
    def get(self, request: Request, code: str) -> Response:
        actor = _actor(request)
        q = _questionnaire(actor, code)
        params = request.query_params
        if params.get("snapshot"):
            snap = selectors.snapshot_get(q, params["snapshot"])
            if snap is None:
                raise NotFound(_("Snapshot %(id)s was not found.") % {"id": params["snapshot"]})
            qs = selectors.snapshot_responses(snap, dim=params.get("dim", ""), key=params.get("key"), actor=actor)
        else:
            qs = selectors.responses_for(q, period=params.get("period") or None, segment=params.get("segment", ""),
                                         actor=actor)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs.select_related("area").order_by("-answered_on", "pk"), request, view=self)
        return paginator.get_paginated_response([response_dict(r) for r in page or []])

    @extend_schema(description='Add responses: {"responses": [{"respondent", "answered_on", "area", '
                   '"customer_category", "channel", "account_no", "order", "answers": {"ce1": 8, ...}}]}. '
                   "Valid rows are stored, the rest reported per row; 400 when none was.",
                   responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request: Request, code: str) -> Response:
        actor = _actor(request)
        q = _questionnaire(actor, code)
        payload = request.data
        items = payload.get("responses") if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise InvalidInput(_('Send {"responses": [...]}.'), code="invalid", field="responses")
        if len(items) > surveys.MAX_API_ROWS:
            raise InvalidInput(_("At most %(n)d responses per request.") % {"n": surveys.MAX_API_ROWS}, code="too_many", field="responses")
        report = surveys.responses_add(actor=actor, questionnaire=q, rows=surveys.rows_from_json(items), source="api")
        code_ = status.HTTP_201_CREATED if report["created"] else status.HTTP_400_BAD_REQUEST
        return Response(report, status=code_)


class ResponsesImportApi(APIView):
    @extend_schema(description="Multipart upload `file` (CSV or XLSX; one column per indicator code plus respondent, "
                   "answered_on, area, customer_category, channel, account_no, order). Per-row report; 400 when no row went in.",
                   request={"multipart/form-data": inline_serializer("ResponsesImport", {"file": serializers.FileField()})},
                   responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request: Request, code: str) -> Response:
        actor = _actor(request)
        q = _questionnaire(actor, code)
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(_("Choose a file."), code="required", field="file")
        imp = surveys.responses_import(actor=actor, questionnaire=q, filename=upload.name or "", data=read_upload(upload))
        body = {"import": imp.pk, "total": imp.total, "created": imp.created, "failed": imp.failed, **imp.report}
        return Response(body, status=status.HTTP_201_CREATED if imp.created else status.HTTP_400_BAD_REQUEST)


class IndexApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("questionnaire", str, required=True),
                    OpenApiParameter("period", str, required=False),
                    OpenApiParameter("segment", str, required=False, description="area=east, customer_category=…, channel=…"),
                    OpenApiParameter("refresh", bool, required=False, description="recompute now (administrators, managers)")],
        description="The stored satisfaction index: index 0–100 per construct, path coefficients, R², reliability, "
        "IPA priorities, bootstrap CIs. Computed once and stored (snapshot); 404-like `state: missing` until computed.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        actor = _actor(request)
        q = _questionnaire(actor, request.query_params.get("questionnaire"))
        period = selectors.parse_period(request.query_params.get("period"))
        segment = request.query_params.get("segment", "")
        if segment:
            selectors.parse_segment(segment)
        label = period.label if period else ""
        refresh = request.query_params.get("refresh") in ("1", "true")
        if refresh:
            _require_index_computer(actor)
        snap = selectors.latest_snapshot(q, period=label, segment=segment)
        if snap is None or refresh:
            from .index import index_compute

            snap = index_compute(questionnaire=q, period=label, segment=segment, actor=actor)
        return Response(surveys.snapshot_dict(snap))

    @extend_schema(
        description="Queue a computation (django-q2, interactive queue): 202 with the new pending snapshot, "
        "or 200 with the one already queued or running for the same questionnaire, period and segment. "
        "Administrators, managers and service specialists (403 `index_compute_forbidden` otherwise).",
        request=inline_serializer("IndexQueue", {"questionnaire": serializers.CharField(),
                                                 "period": serializers.CharField(required=False),
                                                 "segment": serializers.CharField(required=False)}),
        responses={202: OpenApiTypes.OBJECT, 200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request) -> Response:
        actor = _actor(request)
        q = _questionnaire(actor, request.data.get("questionnaire"))
        _require_index_computer(actor)
        period = selectors.parse_period(request.data.get("period"))
        segment = request.data.get("segment", "") or ""
        if segment:
            selectors.parse_segment(segment)
        from .index import index_queue

        snap, created = index_queue(questionnaire=q, period=period.label if period else "", segment=segment)
        return Response(surveys.snapshot_dict(snap), status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


# ------------------------------------------------------------------ AHP and fuzzy evaluation


class AhpSerializer(serializers.Serializer):
    questionnaire = serializers.SlugField()
    labels = serializers.ListField(child=serializers.CharField(max_length=16), min_length=2, max_length=15)
    matrix = serializers.ListField(child=serializers.ListField(child=serializers.JSONField(), max_length=15), max_length=15)
    method = serializers.ChoiceField(choices=["eigen", "geometric"], default="eigen")
    note = CleanCharField(max_length=200, required=False, allow_blank=True, default="")


class AhpApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("questionnaire", str, required=True)], responses=OpenApiTypes.OBJECT,
                   description="The active AHP weighting of the questionnaire's drivers (or the default drivers to compare).")
    def get(self, request: Request) -> Response:
        from . import weighting

        q = _questionnaire(_actor(request), request.query_params.get("questionnaire"))
        return Response(weighting.weighting_dict(weighting.active_weighting(q), q))

    @extend_schema(request=AhpSerializer, responses={201: OpenApiTypes.OBJECT}, description="Administrators: a pairwise-comparison matrix (Saaty 1/9…9, "
                   'reciprocal, fractions such as "1/3" allowed) → weights; CR ≥ 0.1 is refused (code `inconsistent`).')
    def post(self, request: Request) -> Response:
        from . import weighting

        actor = _actor(request)
        s = AhpSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        data = s.validated_data
        q = _questionnaire(actor, data["questionnaire"])
        w = weighting.ahp_weighting_save(actor=actor, questionnaire=q, labels=data["labels"], matrix=data["matrix"],
                                         method=data["method"], note=data["note"])
        return Response(weighting.weighting_dict(w, q), status=status.HTTP_201_CREATED)


class FuzzyApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("questionnaire", str, required=True),
                    OpenApiParameter("operator", str, required=False, enum=["min_max", "product_max", "min_bsum", "product_bsum"]),
                    OpenApiParameter("period", str, required=False, description="2026-10, 2026-Q4, 2026 or all; default the latest month")],
        responses=OpenApiTypes.OBJECT,
        description="Fuzzy comprehensive evaluation of the survey answers: factors and weights from the active AHP "
        "weighting, membership = share of answers per grade (很满意…很不满意).",
    )
    def get(self, request: Request) -> Response:
        from . import weighting

        actor = _actor(request)
        q = _questionnaire(actor, request.query_params.get("questionnaire"))
        return Response(weighting.fuzzy_evaluation(actor=actor, questionnaire=q,
                                                   operator=request.query_params.get("operator") or "product_bsum",
                                                   period=request.query_params.get("period") or None))

"""API pagination with a capped count.

DRF's page-number pagination counts every matching row on every request. For a
company-wide queue of 1M orders that exact ``COUNT(*)`` was most of the list's
cost (~120 ms of database CPU). Here the count stops at ``COUNT_CAP`` + 1 rows
(``SELECT COUNT(*) FROM (… LIMIT 10001)``): lists up to ``COUNT_CAP`` rows get
their exact count as before; longer ones report the planner's row estimate
(PostgreSQL; never below the cap) with ``"count_exact": false``, and any page
number may be requested (past the end the page is simply empty).

A list whose caller knows the capped count would be slow — a search for a
common character pair, whose matches are probed one order at a time — sets
``estimate_first``: when the planner expects more than ``COUNT_CAP`` rows its
estimate is the count straight away (``count_exact`` false), without the walk.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

#: Count exactly up to this many rows.
COUNT_CAP = 10_000


def _planner_estimate(qs: QuerySet[Any]) -> int | None:
    """PostgreSQL's row estimate for ``qs`` (no execution), else None."""
    conn = connections[qs.db]
    if conn.vendor != "postgresql":
        return None
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    try:
        with conn.cursor() as cur:
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cur.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
    except Exception:  # an estimate is a nicety; never fail the list over it
        return None


class OpenEndedPage(Page):
    """A page fetched with one row more than it shows: whether a next page
    exists is that row, not ``num_pages`` (which may come from an estimate)."""

    def __init__(self, object_list: Any, number: int, paginator: DjangoPaginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CappedCountPaginator(DjangoPaginator):
    cap: int | None = COUNT_CAP
    #: Ask the planner before counting: above the cap its estimate is the count.
    estimate_first = False

    @cached_property
    def count(self) -> int:
        ol = self.object_list
        if not isinstance(ol, QuerySet):
            return super().count
        # Without ORDER BY: the LIMIT then stops the scan after cap + 1 rows
        # (with it, PostgreSQL sorts every matching row first).
        if self.cap is None:  # ?count=exact
            self.count_exact = True
            return ol.order_by().count()
        if self.estimate_first:
            estimate = _planner_estimate(ol)
            if estimate is not None and estimate > self.cap:
                self.count_exact = False
                return estimate
        n = ol.order_by()[: self.cap + 1].count()
        self.count_exact = n <= self.cap
        if self.count_exact:
            return n
        return max(self.cap + 1, _planner_estimate(ol) or 0)

    count_exact = True

    def validate_number(self, number: Any) -> int:
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        _ = self.count
        if not self.count_exact:
            return number  # the end is not known exactly: past it, the page is empty
        return super().validate_number(number)

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        if self.count_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return OpenEndedPage(rows[: self.per_page], number, self, more=len(rows) > self.per_page)


class ExactCountPaginator(CappedCountPaginator):
    """``?count=exact``: the exact ``COUNT(*)`` whatever the size — what a
    drill-down link needs, whose count must equal the figure it came from
    (the assessment scorecards ask for it)."""

    cap = None


class EstimateFirstPaginator(CappedCountPaginator):
    """The planner's estimate when it expects more than the cap (see the module)."""

    estimate_first = True


class WalkedPaginator(EstimateFirstPaginator):
    """Estimate first, and each page's rows from ``rows(offset, limit)``
    instead of slicing ``object_list`` (which is then only counted): for an
    order no index serves as one walk, such as the web queue's open-first
    order (``selectors.queue_walk``). One row more than the page is asked
    for: whether a next page exists is known even when the count is an estimate."""

    def __init__(self, object_list: Any, per_page: int, *, rows: Any) -> None:
        super().__init__(object_list, per_page)
        self.rows = rows

    def page(self, number: Any) -> Any:
        number = self.validate_number(number)
        got = list(self.rows((number - 1) * self.per_page, self.per_page + 1))
        return OpenEndedPage(got[: self.per_page], number, self, more=len(got) > self.per_page)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class: type[CappedCountPaginator] = CappedCountPaginator

    def __init__(self, *, estimate_first: bool = False) -> None:
        self.estimate_first = estimate_first

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        if request.query_params.get("count") == "exact":
            self.django_paginator_class = ExactCountPaginator
        elif self.estimate_first:
            self.django_paginator_class = EstimateFirstPaginator
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        assert self.page is not None, "paginate_queryset() comes first"
        paginator = self.page.paginator
        assert isinstance(paginator, CappedCountPaginator)
        return Response(
            OrderedDict(
                [
                    ("count", paginator.count),
                    ("count_exact", paginator.count_exact),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_exact"] = {
            "type": "boolean",
            "description": f"false when more than {COUNT_CAP} rows match and count is an estimate "
            "(ask for `count=exact` to get the exact count)",
        }
        # Every key is always present (next/previous are null at the ends).
        out["required"] = ["count", "count_exact", "next", "previous", "results"]
        return out


def paginated_schema(item: dict[str, Any] | None = None) -> dict[str, Any]:
    """The page object of an endpoint whose rows are plain dicts (no serializer):
    ``{count, count_exact, next, previous, results: [item, …]}``. Views with a
    row serializer set ``pagination_class = Pagination`` and declare
    ``Serializer(many=True)`` instead; drf-spectacular then wraps it the same way."""
    rows = {"type": "array", "items": item or {"type": "object", "additionalProperties": True}}
    return Pagination().get_paginated_response_schema(rows)


def page_parameters() -> list[Any]:
    """The query parameters of a paginated list, for views that paginate by hand."""
    from drf_spectacular.utils import OpenApiParameter

    return [
        OpenApiParameter("page", int, required=False, description="page number, from 1"),
        OpenApiParameter("page_size", int, required=False, description=f"rows per page (default 50, at most {Pagination.max_page_size})"),
        OpenApiParameter("count", str, required=False, enum=["exact"], description="`exact`: count every row"),
    ]

"""Order search: the index writer and the query (tokens from
``griddesk.engines.search``).

Writes happen in the transaction that changes what an order is found by:
intake (single and bulk), station findings, report submission, and a change
of the customer's name, phone or address (``search_index_refresh``). The
index is one ``OrderSearch`` row per order; PostgreSQL answers from a GIN
index over its generated column ``grams`` (``string_to_array(tokens, ' ')``), SQLite from the FTS5 table
``workorders_search_fts`` (rowid = order id, the unicode61 tokenizer: every
token is one term). Both implement the same semantics — a document matches a
clause when it holds all of the clause's tokens — so both databases return the
same orders (tests/api/test_search.py compares them with the engine's
reference ``matches``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from griddesk.engines import search as engine
from griddesk.engines.workflow import CONFIDENTIAL_PII_ROLES, PII_ROLES
from griddesk.organisation.access import Actor

from .models import OrderSearch, Report, StationTask, WorkOrder

FTS_TABLE = "workorders_search_fts"
#: PostgreSQL: up to this many matches are fetched as ids first (search_filter).
CANDIDATE_CAP = 20_000
#: PostgreSQL's GIN index over OrderSearch.grams (migration 0009).
GIN_INDEX = "workorders_search_grams_gin"
#: A rebuild of more orders than this drops the GIN index and builds it once at the end.
BULK_REBUILD_ROWS = 100_000


#: The order's own fields a search entry is built from (with its customer's).
_DOC_FIELDS = (
    "pk", "number", "external_id", "title", "content", "remedy_sought", "contact_phone", "anonymous",
    "customer__account_no", "customer__name", "customer__phone", "customer__address",
)


def _document(
    number: str, external_id: str | None, title: str, content: str, remedy_sought: str, contact_phone: str,
    anonymous: bool, account_no: str | None, name: str | None, phone: str | None, address: str | None,
    extra_texts: Sequence[str] = (),
) -> engine.Document:
    """What one order is found by, from its fields in ``_DOC_FIELDS`` order
    (after ``pk``) and the texts of its reports and station findings."""
    numbers: list[tuple[engine.Field, str]] = [(engine.Field.NUMBER, number)]
    if external_id:
        numbers.append((engine.Field.EXTERNAL_ID, external_id))
    if account_no:
        numbers.append((engine.Field.ACCOUNT, account_no))
    return engine.Document(
        texts=[t for t in (title, content, remedy_sought, *extra_texts) if t],
        names=[name] if name else [],
        phones=[p for p in (contact_phone, phone) if p],
        addresses=[address] if address else [],
        numbers=numbers,
        confidential=anonymous,
    )


def document(order: WorkOrder, customer: Any, *, extra_texts: Sequence[str] = ()) -> engine.Document:
    """The order as the search sees it (``customer`` may be None)."""
    c = customer
    return _document(
        order.number, order.external_id, order.title, order.content, order.remedy_sought, order.contact_phone,
        order.anonymous, c.account_no if c else None, c.name if c else None, c.phone if c else None,
        c.address if c else None, extra_texts,
    )


def _extra_texts(report_model: Any, task_model: Any, **order_filter: Any) -> dict[int, list[str]]:
    """Report and station-findings texts of the orders ``order_filter`` selects."""
    texts: dict[int, list[str]] = {}
    for oid, f, r, m in report_model.objects.filter(**order_filter).values_list(
        "order_id", "findings", "responsibility", "rectification"
    ):
        texts.setdefault(oid, []).extend((f, r, m))
    for oid, f in task_model.objects.filter(**order_filter).exclude(findings="").values_list("order_id", "findings"):
        texts.setdefault(oid, []).append(f)
    return texts


def _entries(rows: Iterable[Sequence[Any]], texts: dict[int, list[str]]) -> list[tuple[int, str]]:
    """(order id, tokens) for ``_DOC_FIELDS`` rows."""
    return [(r[0], engine.document_tokens(_document(*r[1:], extra_texts=texts.get(r[0], ())))) for r in rows]


def search_index_write(*, entries: Iterable[tuple[int, str]], model: Any = OrderSearch, replace: bool = True) -> None:
    """Store (order id, tokens) pairs, replacing what these orders had
    (``replace=False``: they have nothing yet)."""
    rows = list(entries)
    if not rows:
        return
    if replace:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            model.objects.filter(order_id__in=[pk for pk, _t in chunk]).delete()
    model.objects.bulk_create([model(order_id=pk, tokens=t) for pk, t in rows], batch_size=500)
    if connection.vendor == "sqlite":
        if replace:
            with connection.cursor() as cur:
                for start in range(0, len(rows), 400):
                    chunk = rows[start:start + 400]
                    cur.execute(
                        f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",
                        [pk for pk, _t in chunk],
                    )
        _fts_insert(rows)


def _fts_insert(rows: list[tuple[int, str]]) -> None:
    with connection.cursor() as cur:
        for start in range(0, len(rows), 400):
            chunk = rows[start:start + 400]
            cur.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, tokens) VALUES {', '.join(['(%s, %s)'] * len(chunk))}",
                [v for pair in chunk for v in pair],
            )


def search_index_rebuild(*, models: Any = None, batch: int = 5000, progress: Any = None, after_id: int = 0) -> int:
    """(Re)index every order, in id order, ``batch`` at a time; returns the
    count. ``models``: a migration's app registry (the migration backfills
    with it; only fields that exist at that migration are read). ``after_id``:
    only orders with a greater id (a bulk load indexes what it added)."""
    from django.apps import apps as live

    registry = models or live
    wo_model = registry.get_model("workorders", "WorkOrder")
    report_model = registry.get_model("workorders", "Report")
    task_model = registry.get_model("workorders", "StationTask")
    search_model = registry.get_model("workorders", "OrderSearch")
    fresh = not search_model.objects.filter(order_id__gt=after_id).exists()
    bulk = connection.vendor == "postgresql" and wo_model.objects.filter(pk__gt=after_id).count() > BULK_REBUILD_ROWS
    if bulk:
        # Many rows: one CREATE INDEX after the rows beats 1M incremental GIN
        # inserts (benchmarks/search.py: 888 s for 1M orders that way).
        with connection.cursor() as cur:
            cur.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
    try:
        return _rebuild_batches(wo_model, report_model, task_model, search_model, after_id, batch, progress, fresh=fresh)
    finally:
        if bulk:
            with connection.cursor() as cur:
                cur.execute(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {search_model._meta.db_table} USING gin (grams)")


def _rebuild_batches(
    wo_model: Any, report_model: Any, task_model: Any, search_model: Any, last: int, batch: int, progress: Any,
    *, fresh: bool,
) -> int:
    total = 0
    while True:
        rows = list(wo_model.objects.filter(pk__gt=last).order_by("pk").values_list(*_DOC_FIELDS)[:batch])
        if not rows:
            return total
        last = rows[-1][0]
        texts = _extra_texts(report_model, task_model, order_id__gte=rows[0][0], order_id__lte=last)
        entries = _entries(rows, texts)
        # Fresh: nothing indexed past the start, no old rows to replace.
        search_index_write(entries=entries, model=search_model, replace=not fresh)
        total += len(entries)
        if progress is not None:
            progress(total)


def search_index_orders(orders: Iterable[WorkOrder]) -> None:
    """Index new orders from what is in memory (intake: no texts beyond the
    order's own yet)."""
    search_index_write(
        entries=[(o.pk, engine.document_tokens(document(o, o.customer if o.customer_id else None))) for o in orders]
    )


def search_index_refresh(*, order_ids: Iterable[int]) -> None:
    """Recompute these orders' entries from the database (after findings, a
    report, or a change to their customer)."""
    ids = list(dict.fromkeys(order_ids))
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        rows = list(WorkOrder.objects.filter(pk__in=chunk).values_list(*_DOC_FIELDS))
        search_index_write(entries=_entries(rows, _extra_texts(Report, StationTask, order_id__in=chunk)))


def personal_fields(p: engine.Plan) -> str:
    """The access log's ``fields`` of a personal-data search (search:phone,…)."""
    return ",".join(f"search:{f.name.lower()}" for f in p.searched if f in engine.PERSONAL_FIELDS)


def search_plan(actor: Actor, query: str) -> engine.Plan:
    return engine.plan(
        query, personal=actor.role in PII_ROLES, confidential=actor.role in CONFIDENTIAL_PII_ROLES
    )


def _pg_condition(p: engine.Plan) -> tuple[str, list[list[str]]]:
    """The plan as a condition on ``grams`` (PostgreSQL) and its parameters."""
    return " OR ".join("grams @> %s::text[]" for _c in p.clauses), [list(c.tokens) for c in p.clauses]


def search_estimate(p: engine.Plan) -> int | None:
    """How many orders PostgreSQL's statistics say the plan's most common
    one-token clause matches (a two-character text, a name, a phone: each a
    single element of ``grams``): its frequency among ANALYZE's most common
    elements times the rows; 0 when no such token is among them (rare). None
    on SQLite. Clauses of several tokens are left out: the planner would
    multiply their frequencies as if independent, and its default for an
    uncommon element summed over a phone's eight clauses came to 24,740 orders
    for a number that three orders hold."""
    if connection.vendor != "postgresql":
        return None
    single = [c.tokens[0] for c in p.clauses if len(c.tokens) == 1]
    if not single:
        return 0
    table = OrderSearch._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            "SELECT coalesce(max(e.freq), 0) * max(c.reltuples) FROM pg_stats s "
            "CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(elem, freq) "
            "JOIN pg_class c ON c.oid = %s::regclass "
            "WHERE s.schemaname = current_schema() AND s.tablename = %s AND s.attname = 'grams' AND e.elem = ANY(%s)",
            [table, table, single],
        )
        row = cur.fetchone()
    return int(row[0] or 0) if row else 0


def search_is_dense(p: engine.Plan) -> bool:
    """Whether the plan matches so many orders (a one-token clause more than
    ``CANDIDATE_CAP`` by the statistics) that its list walks the queue instead
    of fetching ids, and its count is the planner's estimate (PostgreSQL only).
    Judging a rare query dense would walk every visible order; judging a dense
    one selective costs the id step (then the walk): so only what the
    statistics know for sure is dense."""
    est = search_estimate(p)
    return est is not None and est > CANDIDATE_CAP


def search_filter(qs: QuerySet[WorkOrder], p: engine.Plan) -> QuerySet[WorkOrder]:
    """``qs`` narrowed to the orders matching the plan."""
    if not p.clauses:
        return qs.none()
    if connection.vendor == "postgresql":
        cond, params = _pg_condition(p)
        # Selective (a phone, a name, a rare pair): the index's matches first,
        # at most CANDIDATE_CAP ids, then the visible page by deadline. As one
        # semi-join PostgreSQL walks the queue's (deadline, id) index hoping
        # for 25 matches and, for a phone that matches 3 orders, probes every
        # order (benchmarks/search.py: 1.7 s at 20k orders).
        if not search_is_dense(p):
            with connection.cursor() as cur:
                cur.execute(f"SELECT order_id FROM {OrderSearch._meta.db_table} WHERE {cond} LIMIT {CANDIDATE_CAP + 1}", params)
                ids = [r[0] for r in cur.fetchall()]
            if len(ids) <= CANDIDATE_CAP:
                return qs.filter(pk__in=ids)
        # Dense (a common pair, 13 % of the orders): fetching the matches
        # reads most of the index's rows. Walk the visible orders in the list's
        # order instead and probe each one's row by its key: 25 matches come
        # after a few hundred probes (benchmarks/RESULTS.md, "Search").
        probe = OrderSearch.objects.filter(order_id=OuterRef("pk")).filter(
            RawSQL(cond, params, output_field=BooleanField())
        )
        return qs.filter(Exists(probe))
    expr = " OR ".join("(" + " AND ".join(f'"{t}"' for t in c.tokens) + ")" for c in p.clauses)
    return qs.filter(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expr]))


_FIELD_LABELS = {
    "numbers": _("order number, 95598 id or account number"),
    engine.Field.PHONE: _("phone number"),
    engine.Field.PHONE_TAIL: _("last four digits of a phone"),
    engine.Field.NAME: _("customer name"),
    engine.Field.ADDRESS: _("address"),
    engine.Field.TEXT: _("content and report text"),
}
_NUMBER_FIELDS = frozenset({engine.Field.NUMBER, engine.Field.EXTERNAL_ID, engine.Field.ACCOUNT})


def search_summary(p: engine.Plan, actor: Actor) -> dict[str, Any]:
    """What was searched, in words (the "nothing found" message names it)."""
    keys: list[Any] = []
    for f in p.searched:
        key = "numbers" if f in _NUMBER_FIELDS else f
        if key not in keys:
            keys.append(key)
    return {
        "query": p.query,
        "too_short": p.too_short,
        "personal": p.personal,
        "personal_allowed": actor.role in PII_ROLES,
        "searched": [str(_FIELD_LABELS[k]) for k in keys],
        "min_chars": engine.MIN_QUERY_CHARS,
    }

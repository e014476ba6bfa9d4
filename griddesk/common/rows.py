"""Hot-path database reads the ORM would take several queries for (ADR 0016).

* ``cursor`` — a server-side prepared cursor on PostgreSQL for statements whose
  generic plan is right for every value.
* ``columns`` / ``build`` — one table's columns in a hand-written SELECT with
  joins, and the instance for that slice of a result row.

Writes go through the ORM (``save()``, ``bulk_create``): the cached INSERT and
the positional constructor this module had saved under 15 % of an intake's CPU
(``benchmarks/rows_parts.py``, ADR 0016 "Revisited").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, models
from django.db.models.base import DEFERRED


class _Prepared:
    """A psycopg cursor whose ``execute`` prepares the statement on the server
    (once per connection; then only the parameters travel) and raises
    Django's database exceptions (IntegrityError …) like Django's cursors."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: Any = None) -> None:
        with connection.wrap_database_errors:
            self._cur.execute(sql, params, prepare=True)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> Any:
        return self._cur.fetchall()


@contextmanager
def cursor(*, prepared: bool = True) -> Iterator[Any]:
    """A cursor for the intake's hot statements: on PostgreSQL a server-side
    prepared one — parsing and planning once per connection instead of per
    request was most of an intake's database CPU (ADR 0016). Only for
    statements whose generic plan is the right plan for every value (lookups
    by a unique key, INSERTs): everything else keeps Django's client-side
    parameters, so PostgreSQL plans it for the actual values. Elsewhere
    (SQLite) Django's own cursor. Statements run this way bypass Django's
    query log (``connection.queries``)."""
    off = connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    if not prepared or off:  # GRIDDESK_PG_PREPARE=0 leaves prepare_threshold unset
        with connection.cursor() as cur:
            yield cur
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        yield _Prepared(raw)


# ------------------------------------------------------------------ reading joined rows
#
# Hot reads that would take the ORM several queries (a token, its user, the
# staff profile, the department and its company) are written as one SELECT
# with joins; ``columns`` gives each joined table's column list and ``build``
# turns that slice of the result row into a model instance, as the ORM would.


def _fields(model: type[models.Model], only: tuple[str, ...] | None) -> list[Any]:
    if only is None:
        return list(model._meta.concrete_fields)
    wanted = {model._meta.get_field(n) for n in only}
    # The model's own field order: Model.from_db() fills partial rows in that order.
    return [f for f in model._meta.concrete_fields if f in wanted]


_COLUMNS: dict[tuple[type[models.Model], str, str, tuple[str, ...] | None], tuple[str, list[str]]] = {}


def columns(model: type[models.Model], alias: str, only: tuple[str, ...] | None = None) -> tuple[str, list[str]]:
    """``alias."col1", alias."col2", …`` for every concrete field (or the
    fields named in ``only``, which must include the primary key), and their attnames."""
    key = (model, connection.vendor, alias, only)
    hit = _COLUMNS.get(key)
    if hit is None:
        qn = connection.ops.quote_name
        fields = _fields(model, only)
        hit = _COLUMNS[key] = (", ".join(f"{alias}.{qn(f.column)}" for f in fields), [f.attname for f in fields])
    return hit


class _Plan:
    """How to turn one table's slice of a row into an instance (per model, vendor, columns)."""

    __slots__ = ("pk_index", "converters", "positions", "width", "all_attnames")

    def __init__(self, model: type[models.Model], attnames: list[str]) -> None:
        fields = model._meta.concrete_fields
        by_attname = {f.attname: f for f in fields}
        self.pk_index = attnames.index(model._meta.pk.attname)  # type: ignore[union-attr]
        self.converters: list[tuple[int, list[Any], Any]] = []
        for i, name in enumerate(attnames):
            col = by_attname[name].cached_col  # the expression the ORM's compiler asks for converters
            fs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if fs:
                self.converters.append((i, fs, col))
        # A partial row is padded with DEFERRED to the model's full width:
        # Model.from_db() then takes its fast positional path.
        index = {f.attname: i for i, f in enumerate(fields)}
        self.positions = [index[a] for a in attnames]
        self.width = len(fields)
        self.all_attnames = [f.attname for f in fields]


_PLANS: dict[tuple[type[models.Model], str, tuple[str, ...]], _Plan] = {}


def build(model: type[models.Model], attnames: list[str], values: Any) -> Any:
    """The instance for one table's slice of a row (``columns`` order, fields
    not in it deferred); None for an outer join that found nothing. Values are
    converted as the ORM converts them (SQLite dates and booleans, JSON, …)."""
    key = (model, connection.vendor, tuple(attnames))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(model, attnames)
    values = list(values)
    if values[plan.pk_index] is None:
        return None
    for i, fs, col in plan.converters:
        for conv in fs:
            values[i] = conv(values[i], col, connection)
    if len(values) != plan.width:
        full: list[Any] = [DEFERRED] * plan.width
        for v, pos in zip(values, plan.positions):
            full[pos] = v
        values = full
    return model.from_db(connection.alias, plan.all_attnames, values)

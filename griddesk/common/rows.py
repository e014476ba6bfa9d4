"""Hot-path database rows without the ORM's per-call overhead (ADR 0016).

* ``insert`` — INSERT one new instance with SQL built once per model, not per
  call: ``Model.save()`` compiles its INSERT anew every time, for a 50-column
  work order most of the cost of a single-order intake. It does what ``save()``
  does for a new row — each field's ``pre_save`` (``auto_now_add``) and
  ``get_db_prep_save`` (JSON, dates, foreign keys), ``RETURNING`` the primary
  key, the instance's ``_state``. ``on_conflict`` names a unique column: the
  row is inserted only if that value is new (``ON CONFLICT (col) DO NOTHING``,
  PostgreSQL and SQLite ≥ 3.35) and False comes back when it was not.
  Models with save() overrides or signal receivers must not use it (GridDesk
  has none on the models that do).
* ``new`` — ``Model(**values)`` through Django's positional fast path.
* ``columns`` / ``build`` — one table's columns in a hand-written SELECT with
  joins, and the instance for that slice of a result row.
* ``cursor`` — a server-side prepared cursor on PostgreSQL for statements whose
  generic plan is right for every value.
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


_SQL: dict[tuple[type[models.Model], str, str | None], tuple[str, list[models.Field[Any, Any]]]] = {}


def _statement(model: type[models.Model], on_conflict: str | None) -> tuple[str, list[models.Field[Any, Any]]]:
    key = (model, connection.vendor, on_conflict)
    hit = _SQL.get(key)
    if hit is not None:
        return hit
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [f for f in meta.local_concrete_fields if not (f is pk and f.db_returning)]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if on_conflict:
        sql += f" ON CONFLICT ({qn(meta.get_field(on_conflict).column)}) DO NOTHING"  # type: ignore[union-attr]
    sql += f" RETURNING {qn(pk.column)}"
    _SQL[key] = (sql, fields)
    return sql, fields


def insert(obj: models.Model, *, on_conflict: str | None = None) -> bool:
    """INSERT ``obj`` as a new row; set its primary key. False if ``on_conflict`` skipped it."""
    sql, fields = _statement(type(obj), on_conflict)
    params = []
    for f in fields:
        value = f.pre_save(obj, True)
        if hasattr(value, "resolve_expression"):  # db_default / F(): save() territory
            raise TypeError(f"rows.insert cannot write the expression in {type(obj).__name__}.{f.name}")
        params.append(f.get_db_prep_save(value, connection=connection))
    with cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


class _NewPlan:
    __slots__ = ("entries", "relations", "attnames")

    def __init__(self, model: type[models.Model]) -> None:
        fields = model._meta.concrete_fields
        # (attname, the field's default as a callable: what Model.__init__ calls)
        self.entries = [(f.attname, f.get_default) for f in fields]
        self.relations = {f.name: f for f in fields if f.is_relation and f.name != f.attname}
        self.attnames = frozenset(f.attname for f in fields)


_NEW: dict[type[models.Model], _NewPlan] = {}


def new(model: type[models.Model], **values: Any) -> Any:
    """``model(**values)`` through Django's positional fast path.

    ``Model.__init__`` with keyword arguments walks every field, pops each
    keyword, resolves defaults and routes related instances through their
    descriptors — half the Python cost of building an order in a bulk intake
    (``benchmarks/intake_floor.py``). Here the values are laid out in field
    order and passed positionally; a related instance given by field name
    (``customer=c``) sets ``customer_id`` and the relation's cache, as the
    descriptor does, so reading ``obj.customer`` does not query. Fields not
    given get their defaults; unknown names raise TypeError."""
    plan = _NEW.get(model)
    if plan is None:
        plan = _NEW[model] = _NewPlan(model)
    related = []
    for name in plan.relations.keys() & values.keys():
        f = plan.relations[name]
        target = values.pop(name)
        related.append((f, target))
        values[f.attname] = None if target is None else getattr(target, f.target_field.attname)
    if not plan.attnames.issuperset(values):
        raise TypeError(f"{model.__name__}() got unexpected fields {sorted(set(values) - plan.attnames)}")
    obj = model(*[values[a] if a in values else default() for a, default in plan.entries])
    for f, target in related:
        f.set_cached_value(obj, target)
    return obj


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

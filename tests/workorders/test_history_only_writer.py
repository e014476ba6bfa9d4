"""``griddesk.workorders.history`` is the only writer of ``WorkOrderEvent``
(issue 14). Every module of the apps is parsed and any write of the event table
outside history (and the demo loader's COPY, ``griddesk/demo/bulk.py``) fails:
building an event (``WorkOrderEvent(...)``, ``rows.new(WorkOrderEvent, ...)``),
a write through its manager (``WorkOrderEvent.objects.create / bulk_create /
update / delete …``), its table named for raw SQL (``WorkOrderEvent._meta``)
or an INSERT / COPY / UPDATE / DELETE of ``workorders_workorderevent`` in a
string."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import griddesk

ROOT = Path(griddesk.__file__).resolve().parent
ALLOWED = {"workorders/history.py", "demo/bulk.py"}
WRITE_METHODS = {"create", "bulk_create", "get_or_create", "update_or_create", "update", "bulk_update", "delete", "raw"}
SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|COPY|UPDATE|DELETE\s+FROM)\s+\"?workorders_workorderevent\b", re.IGNORECASE)
MODEL = "WorkOrderEvent"


def _is_model(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == MODEL) or (isinstance(node, ast.Attribute) and node.attr == MODEL)


def _chain_has_model(node: ast.AST) -> bool:
    """Whether a chain of attributes / calls goes through the model
    (``WorkOrderEvent.objects.filter(…).update`` or ``models.WorkOrderEvent.objects.create``)."""
    while True:
        if _is_model(node):
            return True
        if isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


def event_writes(source: str, name: str = "<source>") -> list[str]:
    """The lines of ``source`` that write WorkOrderEvent rows."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            if _is_model(node.func):
                found.append(f"{name}:{line}: builds a {MODEL}")
            elif any(_is_model(a) for a in node.args):
                found.append(f"{name}:{line}: passes {MODEL} to a call")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in WRITE_METHODS and _chain_has_model(node.func.value):
                found.append(f"{name}:{line}: {MODEL}…{node.func.attr}()")
        elif isinstance(node, ast.Attribute) and node.attr == "_meta" and _is_model(node.value):
            found.append(f"{name}:{line}: names {MODEL}'s table")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value):
            found.append(f"{name}:{line}: SQL writes workorders_workorderevent")
    return found


def _modules() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts]


def test_only_history_writes_work_order_events() -> None:
    offenders = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel not in ALLOWED:
            offenders += event_writes(path.read_text(encoding="utf-8"), rel)
    assert offenders == [], "write WorkOrderEvent rows through griddesk.workorders.history:\n" + "\n".join(offenders)


def test_the_check_sees_writes() -> None:
    # the real writer is seen (so the scan is not blind) …
    in_history = event_writes((ROOT / "workorders/history.py").read_text(encoding="utf-8"))
    assert any("bulk_create" in f for f in in_history) and any("builds" in f for f in in_history)
    assert any("table" in f for f in in_history)
    # … and every way of writing that the test forbids
    sample = '''
from griddesk.workorders import models
from griddesk.workorders.models import WorkOrderEvent
e = WorkOrderEvent(order_id=1, seq=1)
models.WorkOrderEvent.objects.create(order_id=1, seq=2)
WorkOrderEvent.objects.bulk_create([e])
WorkOrderEvent.objects.filter(order_id=1).update(note="x")
rows.new(WorkOrderEvent, order_id=1)
table = WorkOrderEvent._meta.db_table
cur.execute("INSERT INTO workorders_workorderevent (order_id) VALUES (1)")
cur.execute("SELECT MAX(id) FROM workorders_workorderevent")
WorkOrderEvent.objects.filter(order_id=1).order_by("seq")
'''
    found = event_writes(sample)
    assert [f.split(":")[1] for f in found] == ["4", "5", "6", "7", "8", "9", "10"], found

"""Schemathesis over the whole OpenAPI schema (/api/schema/), in-process.

Every operation of the schema becomes one test per role (an administrator and
an ordinary 95598 agent). Each sends generated requests — valid ones and ones
that break the schema (wrong types, missing fields, ids that do not parse) —
to the Django WSGI app and fails on any 5xx or any answer the schema does not
describe: status code, content type and body.

Bounded and deterministic (docs/decisions/0019-schemathesis-run.md):
- ``derandomize=True`` with a fixed ``SEED``: the same cases on every run and
  machine; no example database (nothing carried over between runs);
- the fuzzing phase draws ``MAX_EXAMPLES`` cases per operation and role, plus
  the examples and coverage phases' fixed cases (boundaries, missing required
  fields, wrong types), which do not count towards ``MAX_EXAMPLES``;
- no shrinking (a failure is reported as found; reproduce it with the printed
  curl line) and no deadline (a slow shared CI machine is not a failure).

The run happens inside each test's transaction on the demo organisation
(SQLite and PostgreSQL alike, as the rest of ``make test``). A summary of the
cases sent lands in ``test-artifacts/schemathesis-<vendor>.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.openapi import same_connection, token_for
from tests.api.openapi import schema as load_schema

SEED = 95598
MAX_EXAMPLES = 6
ROLES = ["admin", "agent"]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

schema = load_schema()
schema.config.seed = SEED
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, no_shrink=True)
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])

pytestmark = pytest.mark.schemathesis

_cases: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _summary() -> Any:
    yield
    if not _cases:
        return
    out = Path("test-artifacts")
    out.mkdir(exist_ok=True)
    body = {"operations": len({k.rsplit(" as ", 1)[0] for k in _cases}), "cases": sum(_cases.values()),
            "seed": SEED, "max_examples": MAX_EXAMPLES, "per_operation": dict(sorted(_cases.items()))}
    (out / f"schemathesis-{connection.vendor}.json").write_text(json.dumps(body, indent=1, ensure_ascii=False))


@pytest.fixture(params=ROLES)
def token(request: Any, db: Any) -> Any:
    with same_connection():
        yield request.param, token_for(request.param)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api(case: Any, token: tuple[str, str]) -> None:
    role, key = token
    _cases[f"{case.operation.label} as {role}"] += 1
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)

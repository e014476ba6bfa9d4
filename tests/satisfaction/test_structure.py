"""The admin refuses a bad model structure with a Chinese message (and audits good edits)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.satisfaction import defaults
from griddesk.satisfaction.models import Construct, Indicator, PathLink, Questionnaire
from griddesk.satisfaction.structure import structure_problems
from griddesk.workorders.models import RuleChange

pytestmark = pytest.mark.django_db


def _admin() -> Client:
    c = Client()
    c.force_login(get_user_model().objects.get(username="admin"))
    return c


def _form(q: Questionnaire, *, active: bool = True, constructs: list[dict[str, Any]] | None = None,
          indicators: list[dict[str, Any]] | None = None, paths: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The change form's POST data for the current state, with rows edited/added/deleted as given."""
    data: dict[str, Any] = {"code": q.code, "name": q.name, "description": q.description, "scale_max": q.scale_max,
                            "missing_policy": q.missing_policy, "max_missing_per_row": q.max_missing_per_row,
                            "index_construct": q.index_construct, "bootstrap": q.bootstrap}
    if active:
        data["active"] = "on"
    existing = {
        "constructs": [{"id": c.pk, "code": c.code, "name": c.name, "mode": c.mode, "sort": c.sort}
                       for c in q.constructs.order_by("sort", "code")],
        "indicators": [{"id": i.pk, "construct": i.construct_id, "code": i.code, "text": i.text, "sort": i.sort}
                       for i in q.indicators.order_by("sort", "code")],
        "paths": [{"id": p.pk, "source": p.source_id, "target": p.target_id} for p in q.paths.order_by("pk")],
    }
    for prefix, changes in (("constructs", constructs), ("indicators", indicators), ("paths", paths)):
        rows = existing[prefix]
        for ch in changes or []:
            if "id" in ch:
                row = next(r for r in rows if r["id"] == ch["id"])
                row.update(ch)
            else:
                rows.append(dict(ch))
        initial = sum(1 for r in rows if r.get("id"))
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = initial
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for n, r in enumerate(sorted(rows, key=lambda r: (r.get("id") is None, r.get("id") or 0))):
            for k, v in r.items():
                if k == "DELETE":
                    if v:
                        data[f"{prefix}-{n}-DELETE"] = "on"
                elif v is not None:
                    data[f"{prefix}-{n}-{k}"] = v
            data[f"{prefix}-{n}-questionnaire"] = q.pk
    return data


def _post(q: Questionnaire, data: dict[str, Any]) -> tuple[int, str]:
    r = _admin().post(f"/admin/satisfaction/questionnaire/{q.pk}/change/", data)
    return r.status_code, r.content.decode()


@pytest.fixture
def q(org):
    return Questionnaire.objects.get(code=defaults.DEFAULT_CODE)


def _c(q: Questionnaire, code: str) -> Construct:
    return q.constructs.get(code=code)


def test_unchanged_form_saves_and_audits(q):
    before = RuleChange.objects.count()
    status, body = _post(q, _form(q, constructs=[{"id": _c(q, "CS").pk, "name": "总体满意"}]))
    assert status == 302, body[:3000]
    assert _c(q, "CS").name == "总体满意"
    change = RuleChange.objects.filter(model="satisfaction.Construct").latest("at")
    assert change.before["name"] == "客户满意" and change.after["name"] == "总体满意"
    assert RuleChange.objects.count() > before


def test_cycle_is_refused_in_chinese(q):
    cs, im = _c(q, "CS"), _c(q, "IM")
    status, body = _post(q, _form(q, paths=[{"source": cs.pk, "target": im.pk}]))
    assert status == 200  # the form again, with the error
    assert "形成循环" in body and "CS" in body
    assert not PathLink.objects.filter(source=cs, target=im).exists()


def test_construct_without_indicators_and_mode_b_single(q):
    new_count = q.constructs.count()
    status, body = _post(q, _form(q, constructs=[{"code": "XX", "name": "新构念", "mode": "A", "sort": 20}]))
    assert status == 200 and "没有测量题项" in body and "停用" in body  # the draft hint
    assert q.constructs.count() == new_count
    pv = _c(q, "PV")
    keep = pv.indicators.order_by("sort").first()
    drops = [{"id": i.pk, "DELETE": True} for i in pv.indicators.exclude(pk=keep.pk)]
    status, body = _post(q, _form(q, constructs=[{"id": pv.pk, "mode": "B"}], indicators=drops))
    assert status == 200 and "形成性" in body
    assert _c(q, "PV").mode == "A" and pv.indicators.count() == 3
    # A draft (inactive) questionnaire may be built in steps; its structure errors still count.
    status, body = _post(q, _form(q, active=False, constructs=[{"code": "XX", "name": "新构念", "mode": "A", "sort": 20}]))
    assert status == 302, body[:3000]
    xx = _c(q, "XX")
    status, body = _post(q, _form(q, active=False, paths=[{"source": xx.pk, "target": xx.pk}]))
    assert status == 200 and "指向自身" in body
    status, body = _post(q, _form(q, active=True, indicators=[{"construct": xx.pk, "code": "xx1", "text": "题", "sort": 99}],
                                  paths=[{"source": xx.pk, "target": _c(q, "CS").pk}]))
    assert status == 302, body[:3000]
    q.refresh_from_db()
    assert q.active and Indicator.objects.filter(code="xx1", construct=xx).exists()


def test_foreign_construct_and_deletion_cascade(q):
    other = Questionnaire.objects.create(code="other", name="其他")
    foreign = Construct.objects.create(questionnaire=other, code="ZZ", name="外部")
    status, body = _post(q, _form(q, paths=[{"source": foreign.pk, "target": _c(q, "CS").pk}]))
    assert status == 200 and "不属于本问卷" in body
    # Deleting the satisfaction construct leaves loyalty and complaints without their driver,
    # and the index construct unknown.
    status, body = _post(q, _form(q, constructs=[{"id": _c(q, "CS").pk, "DELETE": True}]))
    assert status == 200 and "指数构念" in body
    assert q.constructs.filter(code="CS").exists()


def test_structure_problems_unit():
    ok = structure_problems(constructs=[("A", "A"), ("B", "B")], indicators=[("a1", "A"), ("b1", "B"), ("b2", "B")],
                            paths=[("A", "B")], index_construct="B", active=True)
    assert ok == []
    bad = structure_problems(constructs=[("A", "A"), ("B", "A"), ("C", "A")],
                             indicators=[("a1", "A"), ("b1", "B"), ("c1", "C"), ("c1", "C")],
                             paths=[("A", "B"), ("B", "C"), ("C", "A"), ("A", "B")], index_construct="B", active=True)
    assert {p.code for p in bad} == {"cyclic_model", "duplicate_path", "duplicate_code"}

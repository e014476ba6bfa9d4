"""AHP driver weights (stored, CR ≥ 0.1 refused) and the fuzzy evaluation of survey answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from griddesk.engines.ahp import ahp_weights
from griddesk.satisfaction import defaults
from griddesk.satisfaction.models import AhpWeighting, Questionnaire, SurveyResponse
from griddesk.satisfaction.weighting import grade_of
from griddesk.workorders.models import RuleChange

pytestmark = pytest.mark.django_db
AHP = "/api/v1/satisfaction/ahp/"
FUZZY = "/api/v1/satisfaction/fuzzy/"
GOOD = [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]


@pytest.fixture
def q(org):
    return Questionnaire.objects.get(code=defaults.DEFAULT_CODE)


def test_default_drivers_and_ahp_roundtrip(q, client_for):
    body = client_for("manager").get(f"{AHP}?questionnaire={q.code}").json()
    assert body["id"] is None and [d["code"] for d in body["drivers"]] == ["IM", "CE", "PSQ", "SVQ", "PV"]
    payload = {"questionnaire": q.code, "labels": ["PSQ", "SVQ", "PV"], "matrix": [[1, 3, 5], ["1/3", 1, 2], ["1/5", "1/2", 1]]}
    assert client_for("manager").post(AHP, payload, format="json").status_code == 403
    r = client_for("admin").post(AHP, payload, format="json")
    assert r.status_code == 201, r.content
    ref = ahp_weights(GOOD, labels=["PSQ", "SVQ", "PV"])
    got = r.json()
    for k, v in ref.as_dict().items():
        assert got["weights"][k] == pytest.approx(v)
    assert got["cr"] == pytest.approx(ref.cr) and got["consistent"] is True
    assert got["weights"]["PSQ"] > got["weights"]["SVQ"] > got["weights"]["PV"]
    # A second matrix replaces the first; both stay, audited.
    r = client_for("admin").post(AHP, {**payload, "method": "geometric"}, format="json")
    assert r.status_code == 201
    assert AhpWeighting.objects.count() == 2 and AhpWeighting.objects.filter(active=True).count() == 1
    assert AhpWeighting.objects.get(active=True).method == "geometric"
    assert RuleChange.objects.filter(model="satisfaction.AhpWeighting").count() == 3  # create, deactivate, create


def test_inconsistent_and_bad_matrices_are_refused(q, client_for):
    admin = client_for("admin")
    bad = {"questionnaire": q.code, "labels": ["PSQ", "SVQ", "PV"], "matrix": [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]}
    r = admin.post(AHP, bad, format="json")
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "inconsistent" and body["cr"] >= 0.1
    assert "一致性" in body["message"] and "CR" in body["message"]
    assert body["errors"]["matrix"][0]["code"] == "inconsistent"
    assert not AhpWeighting.objects.exists()
    for payload, code in (
        ({**bad, "labels": ["PSQ", "XX", "PV"]}, "unknown_construct"),
        ({**bad, "matrix": [[1, 2, 3], [0.5, 1, 2], [1, 0.5, 1]]}, "not_reciprocal"),
        ({**bad, "matrix": [[1, 2], [0.5, 1]]}, "not_square"),
        ({**bad, "matrix": [[1, "x", 1], [1, 1, 1], [1, 1, 1]]}, "not_positive"),
    ):
        r = admin.post(AHP, payload, format="json")
        assert r.status_code == 400 and r.json()["code"] == code, (code, r.content)


def _respond(q: Questionnaire, rid: str, on: date, value_of: dict[str, int]) -> None:
    answers = {code: value_of.get(lv, 5) for lv, _n, items in defaults.CONSTRUCTS for code, _t in items}
    SurveyResponse.objects.create(questionnaire=q, respondent=rid, answered_on=on, answers=answers)


def test_fuzzy_evaluation_from_answer_counts(q, client_for):
    c = client_for("manager")
    assert c.get(f"{FUZZY}?questionnaire={q.code}").json()["code"] == "no_weights"
    client_for("admin").post(AHP, {"questionnaire": q.code, "labels": ["PSQ", "SVQ", "PV"], "matrix": GOOD}, format="json")
    # October: PSQ answers 9–10 (很满意) and 7 (满意); SVQ all 5 (一般); PV 1 and 3.
    _respond(q, "a", date(2026, 10, 3), {"PSQ": 10, "SVQ": 5, "PV": 1})
    _respond(q, "b", date(2026, 10, 9), {"PSQ": 7, "SVQ": 6, "PV": 3})
    _respond(q, "c", date(2026, 9, 9), {"PSQ": 1, "SVQ": 1, "PV": 1})  # September: not the latest month
    r = c.get(f"{FUZZY}?questionnaire={q.code}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period"] == "2026-10" and body["responses"] == 2 and body["operator"] == "product_bsum"
    f = {x["code"]: x for x in body["factors"]}
    assert list(f["PSQ"]["counts"].values()) == [3, 3, 0, 0, 0]
    assert list(f["SVQ"]["counts"].values()) == [0, 0, 6, 0, 0]
    assert list(f["PV"]["counts"].values()) == [0, 0, 0, 3, 3]
    w = np.array([f[k]["weight"] for k in ("PSQ", "SVQ", "PV")])
    r_ = np.array([[0.5, 0.5, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0.5, 0.5]])
    b = w @ r_
    assert list(body["result"]["normalised"].values()) == pytest.approx(list(b / b.sum()))
    assert body["result"]["score"] == pytest.approx(float(b / b.sum() @ np.array([100, 80, 60, 40, 20])))
    assert body["result"]["grade"] == "很满意"  # PSQ's ≈ 0.65 split 0.32 / 0.32 beats SVQ's 0.23; ties → the first
    zadeh = c.get(f"{FUZZY}?questionnaire={q.code}&operator=min_max").json()
    expected = np.minimum(w[:, None], r_).max(axis=0)
    assert list(zadeh["result"]["vector"].values()) == pytest.approx(list(expected))
    every = c.get(f"{FUZZY}?questionnaire={q.code}&period=all").json()
    assert every["responses"] == 3 and list(every["factors"][0]["counts"].values()) == [3, 3, 0, 0, 3]
    assert c.get(f"{FUZZY}?questionnaire={q.code}&operator=avg").json()["code"] == "invalid_operator"
    assert c.get(f"{FUZZY}?questionnaire={q.code}&period=2025-01").json()["code"] == "no_answers"


def test_grade_bands():
    assert grade_of(np.arange(1, 11, dtype=float), 10).tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    assert grade_of(np.arange(1, 6, dtype=float), 5).tolist() == [4, 3, 2, 1, 0]
    assert grade_of(np.arange(1, 8, dtype=float), 7).tolist() == [4, 4, 3, 2, 2, 1, 0]


def test_weights_page(q):
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    page = admin.get(f"/satisfaction/weights/?questionnaire={q.code}&drivers=PSQ,SVQ,PV")
    assert page.status_code == 200 and 'id="ahp-matrix"' in page.content.decode()
    form = {"labels": ["PSQ", "SVQ", "PV"], "a_0_1": "3", "a_0_2": "5", "a_1_2": "abc", "method": "eigen"}
    r = admin.post(f"/satisfaction/weights/?questionnaire={q.code}", form)
    assert r.status_code == 400 and "判断值" in r.content.decode()
    r = admin.post(f"/satisfaction/weights/?questionnaire={q.code}", {**form, "a_1_2": "9", "a_0_1": "1/9"})
    assert r.status_code == 400 and "一致性" in r.content.decode() and not AhpWeighting.objects.exists()
    r = admin.post(f"/satisfaction/weights/?questionnaire={q.code}", {**form, "a_1_2": "2"})
    assert r.status_code == 302
    _respond(q, "a", date(2026, 10, 3), {"PSQ": 10, "SVQ": 5, "PV": 1})
    page = admin.get(f"/satisfaction/weights/?questionnaire={q.code}").content.decode()
    assert 'id="ahp-weights"' in page and 'id="fuzzy-grade"' in page and "很满意" in page
    assert 'value="1/3"' not in page and 'value="3"' in page  # the stored matrix is shown again
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="manager"))
    assert manager.get(f"/satisfaction/weights/?questionnaire={q.code}").status_code == 200
    assert manager.post(f"/satisfaction/weights/?questionnaire={q.code}", form).status_code == 403


def test_managers_try_a_matrix_on_the_weights_page(q):
    manager = Client()
    manager.force_login(get_user_model().objects.get(username="manager"))
    url = f"/satisfaction/weights/?questionnaire={q.code}"
    page = manager.get(url + "&drivers=PSQ,SVQ,PV").content.decode()
    assert 'id="ahp-form"' in page and 'id="ahp-preview"' in page and 'id="ahp-save"' not in page
    assert "计算方法" in page and "回访方式" not in page  # the AHP method is not the return visit's
    assert "请先输入" not in page or "管理员" in page
    form = {"labels": ["PSQ", "SVQ", "PV"], "a_0_1": "3", "a_0_2": "5", "a_1_2": "2", "method": "eigen", "kind": "preview"}
    r = manager.post(url, form)
    assert r.status_code == 200, r.content.decode()[-2000:]
    body = r.content.decode()
    ref = ahp_weights(GOOD, labels=["PSQ", "SVQ", "PV"])
    assert 'id="ahp-preview-result"' in body and f"{ref.cr:.3f}" in body
    assert f"{ref.as_dict()['PSQ']:.4f}" in body
    assert not AhpWeighting.objects.exists()  # tried, not saved
    # validation errors in Chinese, naming the drivers, not codes or the engine's English
    r = manager.post(url, {**form, "a_1_2": "abc"})
    assert r.status_code == 400
    err = r.content.decode().split('id="ahp-error"')[1].split("</div>")[0]
    assert "判断值" in err and "a_1_2" not in err and "SVQ" not in err
    r = manager.post(url, {**form, "a_0_1": "1/9", "a_1_2": "9"})
    err = r.content.decode().split('id="ahp-error"')[1].split("</div>")[0]
    assert r.status_code == 400 and "一致性" in err and "consistency ratio" not in err and "engine" not in err
    assert manager.post(url, {**form, "kind": "save"}).status_code == 403
    agent = Client()
    agent.force_login(get_user_model().objects.get(username="specialist"))
    assert agent.post(url, form).status_code == 403

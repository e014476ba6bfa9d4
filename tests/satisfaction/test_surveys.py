"""Questionnaires as data, response import with a per-row report, the index snapshot."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from griddesk.satisfaction import defaults
from griddesk.satisfaction.demo import demo_responses_create
from griddesk.satisfaction.index import index_compute, index_queue, snapshot_run
from griddesk.satisfaction.models import IndexSnapshot, Questionnaire, SurveyResponse

pytestmark = pytest.mark.django_db
URL = f"/api/v1/satisfaction/questionnaires/{defaults.DEFAULT_CODE}/"


def _answers(value: int = 8) -> dict[str, int]:
    return {code: value for _c, _n, items in defaults.CONSTRUCTS for code, _t in items}


def test_default_model_is_seeded(org, client_for):
    body = client_for("manager").get(URL).json()
    assert [c["code"] for c in body["constructs"]] == ["IM", "CE", "PSQ", "SVQ", "PV", "CS", "CC", "CL"]
    assert {c["name"] for c in body["constructs"]} >= {"客户期望", "供电质量", "服务质量", "客户满意", "客户忠诚"}
    assert all(len(c["indicators"]) == 3 for c in body["constructs"])
    assert ["CS", "CL"] in body["paths"] and body["scale"] == [1, 10]
    assert client_for("agent").get(URL).status_code == 403


def test_json_responses_per_row_report(org, client_for):
    good = {"respondent": "r1", "answered_on": "2026-10-15", "area": "east", "customer_category": "residential",
            "channel": "95598", "answers": _answers()}
    few_missing = {**good, "respondent": "r2", "answers": {**_answers(), "cs1": None, "pv2": None}}
    out_of_range = {**good, "respondent": "r3", "answers": {**_answers(), "cs2": 11}}
    too_many_missing = {**good, "respondent": "r4", "answers": {"im1": 5}}
    duplicate = {**good}
    unknown = {**good, "respondent": "r5", "answers": {**_answers(), "zz9": 3}, "colour": "red"}
    bad_refs = {**good, "respondent": "r6", "area": "mars", "channel": "pigeon", "answered_on": "15/10/2026"}
    r = client_for("manager").post(URL + "responses/", {"responses": [good, few_missing, out_of_range, too_many_missing,
                                                                      duplicate, unknown, bad_refs]}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["total"], body["created"], body["failed"]) == (7, 2, 5)
    codes = {(e["row"], e["code"]) for e in body["errors"]}
    assert (2, "out_of_range") in codes and (3, "too_many_missing") in codes and (4, "duplicate_respondent") in codes
    assert (5, "unknown_item") in codes and (5, "unknown_column") in codes
    assert {(6, "unknown_area"), (6, "invalid_choice"), (6, "invalid_date")} <= codes
    assert body["warnings"][0]["row"] == 1 and body["warnings"][0]["code"] == "missing_items"
    stored = SurveyResponse.objects.get(respondent="r2")
    assert stored.answers["cs1"] is None and stored.answers["cs2"] == 8 and stored.area.code == "east"
    # Sending r1 again is a duplicate of a stored respondent; nothing valid → 400.
    r = client_for("manager").post(URL + "responses/", {"responses": [good]}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "duplicate_respondent"
    assert client_for("leader").post(URL + "responses/", {"responses": [good]}, format="json").status_code == 403


def test_file_import_csv_and_xlsx(org, client_for):
    codes = list(_answers())
    header = ["respondent", "answered_on", "area", "channel", *codes, "remark"]
    lines = [",".join(header),
             ",".join(["c1", "2026-10-01", "west", "online", *["7"] * len(codes), "x"]),
             ",".join(["c2", "2026-10-02", "west", "online", *(["0"] + ["7"] * (len(codes) - 1)), ""])]
    f = SimpleUploadedFile("survey.csv", "\n".join(lines).encode("gb18030"))
    r = client_for("manager").post(URL + "import/", {"file": f}, format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["created"], body["failed"]) == (1, 1)
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["field"] == "im1" and body["errors"][0]["code"] == "out_of_range"
    assert body["unknown_columns"] == ["remark"]

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header[:-1])
    ws.append(["x1", "2026-11-03", "north", "wechat", *[9] * len(codes)])
    buf = io.BytesIO()
    wb.save(buf)
    r = client_for("manager").post(URL + "import/", {"file": SimpleUploadedFile("s.xlsx", buf.getvalue())}, format="multipart")
    assert r.status_code == 201 and r.json()["created"] == 1
    assert SurveyResponse.objects.get(respondent="x1").answers["cl3"] == 9
    r = client_for("manager").post(URL + "import/", {"file": SimpleUploadedFile("s.txt", b"abc")}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "unsupported_type"


def test_index_snapshot_recovers_model(org, client_for):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    q.bootstrap = 30
    q.save()
    assert demo_responses_create(n=400, seed=7) == 400
    assert demo_responses_create(n=400, seed=7) == 0  # idempotent
    body = client_for("manager").get(f"/api/v1/satisfaction/index/?questionnaire={q.code}").json()
    assert body["state"] == "done" and body["n"] == 400
    # Data generated with positive paths: the strong ones come back positive and significant.
    for key in ("IM->CE", "CS->CC", "CS->CL", "PSQ->CS"):
        assert body["paths"][key] > 0.1
        assert body["bootstrap"]["paths"][key]["ci_low"] > 0
    assert 0 < body["index"]["CS"] < 100 and body["r2"]["CS"] > 0.2
    assert all(v["rho_c"] > 0.7 for v in body["reliability"].values())
    # IPA: service quality and value are generated weaker → among the first to improve.
    assert body["ipa"]["priorities"][0] in {"PV", "SVQ"}
    # Segment means are CI'd and average to the overall index.
    area = body["segments"]["area"]
    assert sum(r["n"] for r in area) == 400
    weighted = sum(r["index"] * r["n"] for r in area) / 400
    assert abs(weighted - body["index"]["CS"]) < 0.5
    assert all(r["ci_low"] < r["index"] < r["ci_high"] for r in area)
    # Stored: a second read does not recompute.
    again = client_for("manager").get(f"/api/v1/satisfaction/index/?questionnaire={q.code}").json()
    assert again["id"] == body["id"] and IndexSnapshot.objects.count() == 1


def test_index_failure_is_reported_and_queue_runs(org, client_for, django_capture_on_commit_callbacks, monkeypatch):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    snap = index_compute(questionnaire=q, period="2026-10")
    assert snap.state == "failed" and snap.message
    r = client_for("manager").get(f"/api/v1/satisfaction/index/?questionnaire={q.code}&period=2026-13")
    assert r.status_code == 400
    calls = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *a, **k: calls.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        pending, created = index_queue(questionnaire=q)
    assert created and pending.state == "pending" and calls == [("griddesk.satisfaction.tasks.compute_snapshot", pending.pk)]
    q.bootstrap = 0
    q.save()
    demo_responses_create(n=150, seed=3)
    done = snapshot_run(snapshot_id=pending.pk)
    assert done.state == "done" and done.n == 150 and done.result["bootstrap"] is None

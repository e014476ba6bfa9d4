"""Round 2 of the index: IPA through the engine, segments with CIs and trends,
drill-down counts, the vectorised response reader."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from scipy import stats

from griddesk.engines import ipa as ipa_engine
from griddesk.satisfaction import defaults, index
from griddesk.satisfaction.demo import demo_responses_create
from griddesk.satisfaction.index import index_compute, load_responses, trend_of
from griddesk.satisfaction.models import Questionnaire, SurveyResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def q(org):
    q = Questionnaire.objects.get(code=defaults.DEFAULT_CODE)
    q.bootstrap = 0
    q.save()
    return q


def test_ipa_is_the_engines(q, client_for):
    demo_responses_create(n=400, seed=5, end=date(2026, 10, 20))
    body = client_for("manager").get(f"/api/v1/satisfaction/index/?questionnaire={q.code}").json()
    imp = {k.split("->")[0]: v for k, v in body["total_effects"].items() if k.endswith("->CS")}
    expected = ipa_engine.ipa(imp, body["index"])
    got = body["ipa"]
    assert got["priorities"] == [p.driver for p in expected.priorities]
    assert got["importance_mean"] == pytest.approx(np.mean(list(imp.values())))
    assert {d["construct"]: d["quadrant"] for d in got["drivers"]} == {p.driver: p.quadrant for p in expected.points}
    assert {d["quadrant"] for d in got["drivers"]} <= set(ipa_engine.QUADRANTS)
    for d in got["drivers"]:
        assert d["potential"] == pytest.approx(d["importance"] * (100 - d["performance"]) / 100)
    # Priorities go quadrant by quadrant (concentrate here → keep up → low priority → possible overkill).
    quadrant = {d["construct"]: ipa_engine.QUADRANTS.index(d["quadrant"]) for d in got["drivers"]}
    order = [quadrant[c] for c in got["priorities"]]
    assert order == sorted(order) and len(set(order)) >= 2


def test_segments_have_engine_cis_trends_and_matching_drilldowns(q, client_for, monkeypatch):
    monkeypatch.setattr(index, "SEGMENT_BOOTSTRAP_MAX_N", 150)  # big groups use the t interval
    demo_responses_create(n=600, seed=8, end=date(2026, 10, 20))
    c = client_for("manager")
    body = c.get(f"/api/v1/satisfaction/index/?questionnaire={q.code}").json()
    assert body["state"] == "done"
    segs = body["segments"]
    assert set(segs) == {"area", "customer_category", "channel", "period"}
    methods = set()
    for dim, rows in segs.items():
        assert sum(r["n"] for r in rows) == body["n"] == 600
        for r in rows:
            if r["n"] >= index.MIN_SEGMENT_N:
                assert r["ci_low"] < r["index"] < r["ci_high"]
                methods.add(r["ci_method"])
                if r["ci_method"] == "t":  # mean ± t(0.975, n-1)·sd/√n
                    half = stats.t.ppf(0.975, r["n"] - 1) * r["sd"] / math.sqrt(r["n"])
                    assert r["ci_high"] - r["index"] == pytest.approx(half, abs=0.02)
            if dim != "period":
                t = r["trend"]
                assert t is not None and t["months"] >= 3  # six months of data in every group
                assert t["ci_low"] <= t["slope"] <= t["ci_high"]
                assert t["direction"] == ("up" if t["ci_low"] > 0 else "down" if t["ci_high"] < 0 else "flat")
            # Every number drills down to exactly its responses.
            listed = c.get(r["responses"]).json()
            assert listed["count"] == r["n"], (dim, r["key"])
    assert methods == {"t", "bootstrap"}
    assert body["trend"]["months"] == len(segs["period"]) >= 3
    assert c.get(body["responses"]).json()["count"] == 600
    # Responses stored after the snapshot do not change what its numbers drill down to.
    demo_responses_create(n=30, seed=9, end=date(2026, 10, 20))
    assert c.get(body["responses"]).json()["count"] == 600
    assert c.get(f"/api/v1/satisfaction/questionnaires/{q.code}/responses/?snapshot={body['id']}&dim=colour&key=x").status_code == 400


def test_listwise_snapshot_drilldown_excludes_incomplete_rows(q, client_for):
    q.missing_policy = "listwise"
    q.save()
    demo_responses_create(n=300, seed=12, end=date(2026, 10, 20), missing_rate=0.02)
    incomplete = sum(1 for a in SurveyResponse.objects.values_list("answers", flat=True) if any(v is None for v in a.values()))
    assert incomplete > 20
    c = client_for("manager")
    body = c.get(f"/api/v1/satisfaction/index/?questionnaire={q.code}").json()
    assert body["n"] == 300 - incomplete
    assert c.get(body["responses"]).json()["count"] == body["n"]
    for r in body["segments"]["area"] + body["segments"]["channel"]:
        assert c.get(r["responses"]).json()["count"] == r["n"]


def test_dashboard_segment_table_links_match(q, client_for):
    from django.contrib.auth import get_user_model
    from django.test import Client

    demo_responses_create(n=300, seed=4, end=date(2026, 10, 20))
    snap = index_compute(questionnaire=q)
    web = Client()
    web.force_login(get_user_model().objects.get(username="manager"))
    page = web.get("/satisfaction/").content.decode()
    assert 'id="segments"' in page and 'class="trend"' in page and 'id="overall-trend"' in page
    import re

    links = re.findall(r'<a class="drill" data-n="(\d+)" href="([^"]+)"', page)
    assert len(links) == sum(len(rows) for rows in snap.result["segments"].values())
    for n, href in links[:6] + links[-3:]:
        drill = web.get(href.replace("&amp;", "&")).content.decode()
        assert f'data-count="{n}"' in drill, href


def test_load_responses_is_one_streamed_query(q, django_assert_max_num_queries):
    demo_responses_create(n=250, seed=2, end=date(2026, 10, 20), missing_rate=0.05)
    columns = ["im1", "cs2", "cl3", "nope"]
    with django_assert_max_num_queries(2):
        frame = load_responses(SurveyResponse.objects.filter(questionnaire=q), columns, chunk=64)
    rows = list(SurveyResponse.objects.filter(questionnaire=q).order_by("pk").select_related("area"))
    assert frame.pk.tolist() == [r.pk for r in rows]
    expected = np.array([[np.nan if r.answers.get(c) is None else r.answers[c] for c in columns] for r in rows])
    np.testing.assert_array_equal(frame.x, expected)
    assert np.isnan(frame.x[:, 3]).all() and np.isnan(frame.x[:, :3]).any()
    assert frame.area.tolist() == [r.area.code if r.area else "" for r in rows]
    assert frame.month.tolist() == [r.answered_on.year * 12 + r.answered_on.month - 1 for r in rows]
    assert frame.channel.tolist() == [r.channel for r in rows]
    empty = load_responses(SurveyResponse.objects.none(), columns)
    assert len(empty) == 0 and empty.x.shape == (0, 4)


def test_trend_of_months():
    rng = np.random.default_rng(1)
    months = np.repeat(np.arange(24300, 24306), 200)
    rising = 60 + 2.0 * (months - months[0]) + rng.normal(0, 10, len(months))
    t = trend_of(rising, months)
    assert t["direction"] == "up" and t["ci_low"] < 2.0 < t["ci_high"] and t["months"] == 6
    assert t["from"] == "2025-01" and t["to"] == "2025-06"
    flat = 60 + rng.normal(0, 10, len(months))
    assert trend_of(flat, months)["direction"] in ("flat", "up", "down")
    assert trend_of(60 - 1.5 * (months - months[0]) + rng.normal(0, 5, len(months)), months)["direction"] == "down"
    assert trend_of(rising[:400], months[:400]) is None  # two months only

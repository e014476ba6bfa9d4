"""One search box: ``GET /api/v1/work-orders/?q=…`` (and the web queue) finds
orders by number, 95598 id, account number, the customer's or caller's phone
(whole or last 4 digits), name, address fragment and the text of the content
and report, from 2 characters, open or closed — personal fields only for roles
with personal-data access, each such search logged. The expected sets are
computed here by plain substring checks over the orders' own fields, not by the
index, and the same test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from griddesk.customers.models import Customer, PiiAccess
from griddesk.engines.search import normalise
from tests.conftest import intake_payload

URL = "/api/v1/work-orders/"


def _found(client: Any, q: str) -> set[str]:
    r = client.get(URL, {"q": q, "page_size": 200})
    assert r.status_code == 200, r.content
    return {o["number"] for o in r.json()["results"]}


@pytest.fixture
def corpus(org, client_for, act):
    agent = client_for("agent")
    specs = [
        dict(customer={"account_no": "7700000001", "name": "张三", "phone": "13812345678", "address": "江城市东湖路88号3单元501"},
             content="本月电费偏高，怀疑电表计量有误，要求核查。"),
        dict(customer={"account_no": "7700000002", "name": "李四", "phone": "13900005678", "address": "东湖县临湖镇新街12号"},
             content="表箱门损坏，雨天漏电，请尽快抢修。", type="fault_repair", category=None),
        dict(customer={"account_no": "7700000003", "name": "王五", "phone": "13700001111", "address": "西山县石门镇2号"},
             content="营业厅工作人员服务态度差。", category="service.attitude"),
        dict(customer={"account_no": "7700000004", "name": "赵六", "phone": "13600002222", "address": "北岭县桃源村"},
             content="电费偏高且多次催缴。", anonymous=True),
    ]
    numbers = []
    for spec in specs:
        body = intake_payload(**{k: v for k, v in spec.items() if v is not None or k != "category"})
        if spec.get("category", "x") is None:
            body.pop("category", None)
        r = agent.post(URL, body, format="json")
        assert r.status_code == 201, r.content
        numbers.append(r.json()["number"])
    # The first order is handled to the end (a closed order is found too) with a report.
    n = numbers[0]
    act("agent", n, "forward")
    act("specialist", n, "grade", grade=3, complexity="ordinary", reason="测试")
    act("specialist", n, "dispatch")
    act("marketing", n, "accept")
    act("marketing", n, "submit_report", findings="现场核实电能表接线错误", responsibility="计量班责任",
        rectification="更换电能表并退补电费", company_at_fault=True)
    return numbers


def test_text_phone_name_address_and_numbers_for_the_agent(corpus, client_for):
    agent = client_for("agent")
    a, b, c, d = corpus
    assert _found(agent, "电费") == {a, d}                    # 2-character text
    assert _found(agent, "电费偏高") == {a, d}                # 4-character text
    assert _found(agent, "接线错误") == {a}                    # the report's text
    assert _found(agent, "13812345678") == {a}                # whole phone
    assert _found(agent, "5678") == {a, b}                    # last four digits
    assert _found(agent, "张三") == {a}                        # name
    assert _found(agent, "临湖镇") == {b}                      # address fragment
    assert _found(agent, "7700000003") == {c}                 # account number
    assert _found(agent, a) == {a} and _found(agent, a.lower()) == {a}  # order number
    assert _found(agent, "13600002222") == {d}                # confidential order: the intake side finds it


def test_roles_without_personal_data_search_numbers_and_text_only(corpus, client_for):
    manager = client_for("manager")
    a, b, c, d = corpus
    assert _found(manager, "电费") == {a, d}
    assert _found(manager, "7700000003") == {c}
    assert _found(manager, "13812345678") == set()
    assert _found(manager, "5678") == set()
    assert _found(manager, "张三") == set()
    assert _found(manager, "临湖镇") == set()
    assert not PiiAccess.objects.filter(user__username="manager").exists()


def test_a_handler_does_not_find_a_confidential_order_by_its_customer(corpus, client_for, act):
    d = corpus[3]
    act("agent", d, "forward")
    act("specialist", d, "grade", grade=3, complexity="ordinary", reason="测试")
    act("specialist", d, "dispatch")
    marketing = client_for("marketing")
    assert d in _found(marketing, "催缴")                    # the text, yes
    assert d not in _found(marketing, "13600002222")        # the person, no
    assert d not in _found(marketing, "赵六")


def test_personal_data_searches_are_logged_with_the_query_and_what_they_showed(corpus, client_for):
    a = corpus[0]
    PiiAccess.objects.all().delete()
    agent = client_for("agent")
    assert _found(agent, "13812345678") == {a}
    row = PiiAccess.objects.get()
    assert row.via == "api-search" and "search:phone" in row.fields
    assert "q=13812345678" in row.path and row.orders.split() == [a]
    # a search that finds nothing is logged too, and says what it searched
    r = agent.get(URL, {"q": "13000000000"})
    assert r.json()["count"] == 0
    assert PiiAccess.objects.count() == 2 and PiiAccess.objects.latest("at").orders == ""
    summary = r.json()["search"]
    assert summary["query"] == "13000000000" and "电话号码" in summary["searched"]


def test_a_one_character_query_is_too_short(corpus, client_for):
    r = client_for("agent").get(URL, {"q": "电"})
    assert r.json()["count"] == 0 and r.json()["search"]["too_short"] is True


def test_results_match_a_plain_substring_scan(corpus, client_for):
    """The index's answers equal a scan of the orders' own texts."""
    from griddesk.workorders.models import WorkOrder

    agent = client_for("agent")
    orders = list(WorkOrder.objects.select_related("customer").prefetch_related("reports"))
    for q in ["电费", "偏高", "损坏", "服务态度", "漏电", "核查", "退补", "x9"]:
        want = {
            o.number for o in orders
            if normalise(q) in normalise(o.content) or any(normalise(q) in normalise(r.findings + r.rectification + r.responsibility) for r in o.reports.all())
        }
        assert _found(agent, q) == want, q


def test_a_new_callback_number_finds_the_order_and_customer_edits_reindex(corpus, client_for):
    from griddesk.customers.services import customer_save

    agent = client_for("agent")
    body = intake_payload(customer={"account_no": "7700000003", "name": "王五", "phone": "15011112222"})
    n = agent.post(URL, body, format="json").json()["number"]
    assert _found(agent, "15011112222") == {n}  # the caller's number, stored on the order
    customer = Customer.objects.get(account_no="7700000003")
    customer.address = "西山县龙泉街9号"
    customer_save(instance=customer, changed=["address"])
    assert n in _found(agent, "龙泉街")


@pytest.fixture
def web(org):
    from django.contrib.auth import get_user_model
    from django.test import Client

    def make(username: str) -> Client:
        c = Client()
        c.force_login(get_user_model().objects.get(username=username))
        return c

    return make


def test_web_queue_search_and_its_empty_message(corpus, web):
    page = web("agent").get("/", {"q": "张三"}).content.decode()
    assert corpus[0] in page
    empty = web("agent").get("/", {"q": "查无此人"}).content.decode()
    assert 'id="search-empty"' in empty and "查无此人" in empty and "客户姓名" in empty
    assert PiiAccess.objects.filter(via="web-search", user__username="agent").count() == 2
    manager = web("manager").get("/", {"q": "查无此人"}).content.decode()
    assert "个人信息" in manager  # says why phones/names/addresses were not searched


def test_a_rebuild_indexes_orders_from_the_database(corpus, client_for):
    """What `griddesk demo` and the migration run after loading orders directly."""
    from django.db import connection

    from griddesk.workorders.models import OrderSearch
    from griddesk.workorders.search import FTS_TABLE, search_index_rebuild

    OrderSearch.objects.all().delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {FTS_TABLE}")
    assert _found(client_for("agent"), "接线错误") == set()
    assert search_index_rebuild(batch=2) == len(corpus)
    assert _found(client_for("agent"), "接线错误") == {corpus[0]}   # the report's text, read back from the database
    assert _found(client_for("agent"), "5678") == {corpus[0], corpus[1]}


def test_a_dense_search_walks_the_queue_and_finds_the_same_orders(corpus, client_for, monkeypatch):
    """A common pair (PostgreSQL's statistics expect more matches than the id
    step takes) is answered by probing each visible order in the list's order:
    the same orders, in the same order, as the selective path and as a scan."""
    from django.db import connection

    from griddesk.workorders import search

    agent = client_for("agent")
    queries = ["电费", "偏高", "损坏", "漏电", "退补", "张三", "5678", "x9"]

    def pages() -> dict[str, list[str]]:
        return {q: [o["number"] for o in agent.get(URL, {"q": q, "page_size": 200}).json()["results"]] for q in queries}

    selective = pages()
    monkeypatch.setattr(search, "search_is_dense", lambda p: True)
    if connection.vendor == "postgresql":
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            agent.get(URL, {"q": "电费"})
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "EXISTS" in sql and "LIMIT 20001" not in sql  # the probe, not the id step
    assert pages() == selective
    assert selective["电费"] and len(selective["5678"]) == 2


def test_a_dense_search_is_counted_by_the_planners_estimate(corpus, client_for, monkeypatch):
    """Counting 10,001 probed matches takes seconds at 1M orders: a dense
    search reports PostgreSQL's estimate instead (``count_exact`` false) when
    it is above the cap, and counts exactly (capped) below it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from griddesk.common import pagination
    from griddesk.workorders import search

    agent = client_for("agent")
    monkeypatch.setattr(search, "search_is_dense", lambda p: True)
    body = agent.get(URL, {"q": "电费"}).json()
    assert (body["count"], body["count_exact"]) == (2, True)  # the estimate of a small list is below the cap
    if connection.vendor != "postgresql":
        return  # SQLite has no estimate (and no dense path)
    monkeypatch.setattr(pagination, "_planner_estimate", lambda qs: 130_000)
    with CaptureQueriesContext(connection) as ctx:
        body = agent.get(URL, {"q": "电费"}).json()
    assert (body["count"], body["count_exact"]) == (130_000, False)
    assert len(body["results"]) == 2 and body["next"] is None  # the page itself is exact
    assert not any("COUNT(" in q["sql"] for q in ctx.captured_queries)
    # count=exact still counts every match
    assert agent.get(URL, {"q": "电费", "count": "exact"}).json()["count"] == 2


def test_a_department_seeing_few_orders_through_several_branches_sees_them_by_id(corpus, monkeypatch):
    """The lead handler's department leads one order and created another: an
    OR of the branches cannot use an index (PostgreSQL walked every order for a
    search's page), so a few visible orders become an id list — the same orders."""
    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for
    from griddesk.workorders import selectors
    from griddesk.workorders.models import WorkOrder

    a, _b, c, _d = corpus
    actor = actor_for(get_user_model().objects.get(username="marketing"))
    WorkOrder.objects.filter(number=c).update(created_department=actor.department)
    by_id = selectors.work_orders_visible_to(actor)
    assert "EXISTS" not in str(by_id.query)
    assert set(by_id.values_list("number", flat=True)) == {a, c}
    monkeypatch.setattr(selectors, "VISIBLE_IDS_CAP", 1)  # more than the cap: the OR of the branches
    by_or = selectors.work_orders_visible_to(actor)
    assert "EXISTS" in str(by_or.query)
    assert set(by_or.values_list("number", flat=True)) == {a, c}
    assert set(selectors.work_order_list(actor, filters={"q": "电费"}).values_list("number", flat=True)) == {a}

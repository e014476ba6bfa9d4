"""待我处理: the orders on which this user can take a main step now, most
urgent first, at the top of the plain queue and as ``?todo=1`` in the API."""

from __future__ import annotations


def _todo(client_for, username):
    r = client_for(username).get("/api/v1/work-orders/", {"todo": "true", "page_size": 100})
    assert r.status_code == 200, r.content
    return [o["number"] for o in r.json()["results"]]


def test_each_role_sees_what_waits_for_it(org, client_for, make_order, act):
    a = make_order()["number"]            # received: the agent forwards
    b = make_order()["number"]
    act("agent", b, "forward")            # forwarded: the specialist grades
    c = make_order()["number"]
    act("agent", c, "forward")
    act("specialist", c, "grade", grade=3, complexity="ordinary", reason="测试")
    act("specialist", c, "dispatch")      # dispatched: the marketing department accepts
    assert set(_todo(client_for, "agent")) >= {a} and b not in _todo(client_for, "agent")
    assert b in _todo(client_for, "specialist") and a not in _todo(client_for, "specialist")
    assert c in _todo(client_for, "marketing") and c not in _todo(client_for, "audit")
    assert _todo(client_for, "leader") == []
    act("marketing", c, "accept")
    act("marketing", c, "assign_station", stations=["east-ps-1"])
    assert c in _todo(client_for, "station")
    act("station", c, "station_findings", findings="现场核实")
    assert c not in _todo(client_for, "station")  # its task is done


def test_the_queue_opens_with_the_waiting_block(org, web, order_in):
    order = order_in("received")
    page = web("agent").get("/").content.decode()
    assert 'id="todo"' in page and "待我处理" in page and order.number in page.split('id="queue-filters"')[0]
    assert 'id="todo"' not in web("agent").get("/", {"state": "all"}).content.decode()

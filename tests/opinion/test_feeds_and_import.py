from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from griddesk.opinion import feeds, tasks
from griddesk.opinion.models import OpinionItem, OpinionSource


def rss(now: Any) -> bytes:
    def item(n: int, text: str, when: Any) -> str:
        return (f"<item><title>帖子{n}</title><link>http://forum.example.com/t/{n}</link>"
                f"<description><![CDATA[<p>{text}</p>]]></description><author>网友{n}</author>"
                f"<pubDate>{format_datetime(when)}</pubDate></item>")

    items = [
        item(1, "北岭县桃源镇又停电了，这个月第三次", now - timedelta(hours=1)),
        item(2, "北岭县双河镇电费怎么算的，比去年贵了一倍", now - timedelta(hours=2)),
        item(3, "<script>alert(1)</script>", now - timedelta(hours=3)),
        item(4, "未来的帖子", now + timedelta(days=3)),
    ]
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>论坛</title>{"".join(items)}</channel></rss>'.encode()


def atom(now: Any) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>新闻</title>'
        '<entry><title>记者调查：东湖县停电</title><link rel="alternate" href="http://news.example.com/a/9"/>'
        f"<published>{(now - timedelta(hours=2)).isoformat()}</published><author><name>记者</name></author>"
        "<summary>东湖县城关镇居民反映停电十小时，供电公司回应正在抢修</summary></entry></feed>"
    ).encode()


@pytest.fixture
def feed_server() -> Iterator[dict[str, bytes]]:
    docs: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = docs.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    docs["_base"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    try:
        yield docs
    finally:
        server.shutdown()
        server.server_close()


def test_rss_and_atom_feeds_are_polled_deduplicated_and_bad_entries_skipped(org: Any, feed_server: Any) -> None:
    now = timezone.now()
    base = feed_server["_base"].decode()
    feed_server["/rss"] = rss(now)
    feed_server["/atom"] = atom(now)
    forum = OpinionSource.objects.create(name="江城论坛", kind="forum", url=f"{base}/rss", poll_minutes=30)
    news = OpinionSource.objects.create(name="江城日报", kind="news", url=f"{base}/atom", poll_minutes=30)
    OpinionSource.objects.create(name="坏源", kind="news", url=f"{base}/missing", poll_minutes=30)
    out = tasks.poll_feeds()
    assert set(out) == {"江城论坛", "江城日报", "坏源"}
    assert OpinionItem.objects.filter(source=forum).count() == 2
    atom_item = OpinionItem.objects.get(source=news)
    assert atom_item.url == "http://news.example.com/a/9" and atom_item.source_kind == "news" and atom_item.via == "feed"
    assert atom_item.area is not None and atom_item.area.code == "east"
    first = OpinionItem.objects.get(url="http://forum.example.com/t/1")
    assert "<p>" not in first.text and first.area is not None and first.area.code == "north"
    forum.refresh_from_db()
    assert forum.last_polled_at is not None and "2" in forum.last_status
    assert OpinionSource.objects.get(name="坏源").last_status != ""
    # Not due again yet; once due, the same entries are not stored twice.
    assert tasks.poll_feeds() == {}
    OpinionSource.objects.update(last_polled_at=now - timedelta(hours=1))
    tasks.poll_feeds()
    assert OpinionItem.objects.count() == 3


def test_feed_with_entity_declarations_is_refused() -> None:
    with pytest.raises(feeds.FeedError):
        feeds.parse(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><rss><channel></channel></rss>')
    with pytest.raises(feeds.FeedError):
        feeds.parse(b"<html><body>not a feed</body></html>")


def test_the_poll_schedule_is_seeded(org: Any) -> None:
    from django_q.models import Schedule

    assert Schedule.objects.filter(func="griddesk.opinion.tasks.poll_feeds", minutes=5).exists()


def _local(hours: int) -> str:
    return (timezone.now() - timedelta(hours=hours)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def test_csv_import_reports_per_row(org: Any, client_for: Any) -> None:
    future = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    csv_text = (
        "来源类型,来源名称,链接,标题,正文,发布时间,浏览量\n"
        f"社交帖子,微博,http://weibo.example.com/1,,西山县城西镇停电了,{_local(2)},10\n"
        f"social,微博,http://weibo.example.com/1,,重复的链接,{_local(2)},10\n"
        f"social,微博,,,,{_local(2)},10\n"
        f"nonsense,微博,,,电费太贵,{_local(2)},10\n"
        f"social,微博,,,电费太贵,{future},10\n"
        f"12345转办,12345,,,北岭县新华镇用户反映电压低，空调开不起来,{_local(5)},x\n"
    )
    r = client_for("marketing").post("/api/v1/opinion/items/import/",
                                     {"file": SimpleUploadedFile("items.csv", csv_text.encode("gb18030"))}, format="multipart")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["rows"], body["created"], body["existing"]) == (6, 1, 1)
    errors = {(e["row"], e["column"], e["code"]) for e in body["errors"]}
    assert (4, "text", "empty") in errors
    assert (5, "source_kind", "invalid_choice") in errors
    assert (6, "published_at", "future") in errors
    assert (7, "views", "invalid") in errors
    assert OpinionItem.objects.get().source_kind == "social"


def test_xlsx_import_through_the_web_page(web: Any) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["source_kind", "source_name", "text", "published_at", "area", "views"])
    ws.append(["12345", "12345热线", "东湖县临湖镇客户投诉抄表员态度恶劣", _local(3), "", 5])
    ws.append(["inspection", "暗访", "北岭县桃源供电所营业厅无人值守", _local(4), "北岭县", None])
    buf = io.BytesIO()
    wb.save(buf)
    r = web("specialist").post("/opinion/import/", {"file": SimpleUploadedFile("x.xlsx", buf.getvalue())})
    assert r.status_code == 200
    assert 'id="import-report"' in r.content.decode()
    assert OpinionItem.objects.filter(via="file").count() == 2
    assert OpinionItem.objects.get(source_kind="inspection").area.code == "north"
    bad = web("specialist").post("/opinion/import/", {"file": SimpleUploadedFile("x.txt", b"hello")})
    assert bad.status_code == 400


@pytest.fixture
def conditional_server() -> Iterator[dict[str, Any]]:
    """A feed that honours If-None-Match / If-Modified-Since with 304, and can be made to fail."""
    state: dict[str, Any] = {"body": b"", "etag": '"v1"', "modified": "Sat, 28 Nov 2026 08:00:00 GMT", "fail": 0,
                             "requests": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            state["requests"].append(dict(self.headers))
            if state["fail"]:
                state["fail"] -= 1
                self.send_response(503)
                self.end_headers()
                return
            if self.headers.get("If-None-Match") == state["etag"] or (
                not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == state["modified"]
            ):
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            if state["etag"]:
                self.send_header("ETag", state["etag"])
            self.send_header("Last-Modified", state["modified"])
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/feed"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_conditional_polling_304_and_back_off(org: Any, conditional_server: Any, monkeypatch: Any) -> None:
    from griddesk.opinion import services

    st = conditional_server
    now = timezone.now()
    st["body"] = rss(now)
    src = OpinionSource.objects.create(name="条件源", kind="forum", url=st["url"], poll_minutes=10)
    out = feeds.poll_due(now=now)
    assert "2" in out["条件源"] and OpinionItem.objects.filter(source=src).count() == 2
    src.refresh_from_db()
    assert (src.etag, src.last_modified) == ('"v1"', st["modified"]) and src.failures == 0
    assert "If-None-Match" not in st["requests"][0]

    # Unchanged feed: the validators are sent back, the server answers 304, nothing is parsed or taken in.
    calls: list[int] = []
    real = services.opinion_items_intake
    monkeypatch.setattr(services, "opinion_items_intake", lambda **kw: calls.append(1) or real(**kw))
    later = now + timedelta(minutes=11)
    out = feeds.poll_due(now=later)
    assert st["requests"][-1]["If-None-Match"] == '"v1"' and st["requests"][-1]["If-Modified-Since"] == st["modified"]
    assert "304" in out["条件源"] and calls == []
    src.refresh_from_db()
    assert src.last_polled_at == later and src.etag == '"v1"'

    # Only Last-Modified (no ETag) works the same way.
    OpinionSource.objects.filter(pk=src.pk).update(etag="")
    out = feeds.poll_due(now=later + timedelta(minutes=11))
    assert "If-None-Match" not in st["requests"][-1] and "304" in out["条件源"]

    # Failures: the last error is kept and the source backs off, doubling per failure.
    st["fail"] = 2
    t1 = later + timedelta(minutes=30)
    feeds.poll_due(now=t1)
    src.refresh_from_db()
    assert src.failures == 1 and "503" in src.last_error and src.last_error_at == t1
    assert src.next_poll_at == t1 + timedelta(minutes=20)
    assert feeds.poll_due(now=t1 + timedelta(minutes=15)) == {}  # interval passed, back-off not
    t2 = t1 + timedelta(minutes=20)
    feeds.poll_due(now=t2)
    src.refresh_from_db()
    assert src.failures == 2 and src.next_poll_at == t2 + timedelta(minutes=40)
    # Recovery clears the back-off; a changed feed (new ETag) is fetched whole again.
    st["etag"], st["modified"] = '"v2"', "Sun, 29 Nov 2026 08:00:00 GMT"
    st["body"] = rss(now).replace("又停电了".encode(), "今天又停电了".encode())
    out = feeds.poll_due(now=t2 + timedelta(minutes=40))
    src.refresh_from_db()
    assert src.failures == 0 and src.next_poll_at is None and src.etag == '"v2"' and src.last_error  # history kept
    assert calls  # taken in again (known entries recognised as existing)
    assert feeds.backoff(10, 20) == timedelta(hours=24)


def test_due_feeds_are_fetched_concurrently(org: Any, feed_server: Any, monkeypatch: Any) -> None:
    import time

    now = timezone.now()
    base = feed_server["_base"].decode()
    feed_server["/rss"] = rss(now)
    real = feeds.fetch_conditional
    active = {"now": 0, "max": 0}
    lock = threading.Lock()

    def slow(url: str, **kw: Any) -> Any:
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.3)
        try:
            return real(url, **kw)
        finally:
            with lock:
                active["now"] -= 1

    monkeypatch.setattr(feeds, "fetch_conditional", slow)
    for k in range(3):
        OpinionSource.objects.create(name=f"源{k}", kind="forum", url=f"{base}/rss", poll_minutes=30)
    out = feeds.poll_due(now=now)
    assert len(out) == 3 and active["max"] >= 2
    assert OpinionItem.objects.count() == 2  # the same entries from three sources stored once

"""RSS 2.0 / Atom polling with the standard library (urllib + xml.etree).

A feed is fetched with a timeout and a size cap; documents declaring entities
(``<!ENTITY``) are refused (no entity-expansion bombs). Each entry becomes an
item for the ordinary intake service, so feed items are deduplicated, analysed
and clustered exactly like API items; a bad entry is skipped with its reason.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OpinionItem, OpinionSource
from .serializers import parse_items

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 15
_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"


class FeedError(Exception):
    pass


@dataclass
class PollReport:
    source: str
    fetched: int = 0
    created: int = 0
    existing: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    failure: str = ""
    not_modified: bool = False

    def summary(self) -> str:
        if self.failure:
            return self.failure[:300]
        if self.not_modified:
            return _("Not modified since the last poll (HTTP 304)")
        return _("%(n)d entries: %(c)d new, %(e)d known, %(x)d refused") % {
            "n": self.fetched, "c": self.created, "e": self.existing, "x": len(self.errors)
        }


@dataclass(frozen=True)
class Fetched:
    """A fetch result: ``not_modified`` for a 304 (the feed is unchanged since
    the validators we sent), else the body and the new validators."""

    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    not_modified: bool = False


def fetch_conditional(url: str, *, etag: str = "", last_modified: str = "") -> Fetched:
    headers = {"User-Agent": "GridDesk-opinion/1.0"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 (admin-configured http(s) URL)
            data: bytes = resp.read(MAX_FEED_BYTES + 1)
            new_etag = resp.headers.get("ETag", "") or ""
            new_modified = resp.headers.get("Last-Modified", "") or ""
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(etag=etag, last_modified=last_modified, not_modified=True)
        raise FeedError(_("The feed could not be fetched: HTTP %(code)s") % {"code": exc.code}) from exc
    except (OSError, ValueError) as exc:
        raise FeedError(_("The feed could not be fetched: %(error)s") % {"error": exc}) from exc
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(_("The feed is larger than %(mb)d MB.") % {"mb": MAX_FEED_BYTES // (1024 * 1024)})
    return Fetched(body=data, etag=new_etag[:300], last_modified=new_modified[:100])


def fetch(url: str) -> bytes:
    return fetch_conditional(url).body


def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _time(value: str) -> str:
    """RFC 822 (RSS) or ISO 8601 (Atom) → ISO 8601 with offset ('' if unknown)."""
    value = value.strip()
    if not value:
        return ""
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # the serializer refuses it with a clear message
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat()


def parse(data: bytes) -> list[dict[str, str]]:
    if b"<!ENTITY" in data[:4096].upper():
        raise FeedError(_("The feed declares XML entities; refused."))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(_("The feed is not valid XML: %(error)s") % {"error": exc}) from exc
    entries: list[dict[str, str]] = []
    if root.tag == f"{_ATOM}feed":
        for e in root.iter(f"{_ATOM}entry"):
            link = ""
            for ln in e.findall(f"{_ATOM}link"):
                if ln.get("rel", "alternate") == "alternate":
                    link = ln.get("href", "")
                    break
            body = _text(e.find(f"{_ATOM}content")) or _text(e.find(f"{_ATOM}summary"))
            author = _text(e.find(f"{_ATOM}author/{_ATOM}name"))
            published = _text(e.find(f"{_ATOM}published")) or _text(e.find(f"{_ATOM}updated"))
            entries.append({"title": _text(e.find(f"{_ATOM}title")), "url": link, "text": body, "author": author,
                            "published_at": _time(published)})
    else:
        channel = root.find("channel") if root.tag == "rss" else None
        if channel is None:
            raise FeedError(_("Neither an RSS 2.0 nor an Atom feed."))
        for it in channel.iter("item"):
            author = _text(it.find("author")) or _text(it.find(f"{_DC}creator"))
            entries.append({"title": _text(it.find("title")), "url": _text(it.find("link")),
                            "text": _text(it.find("description")), "author": author,
                            "published_at": _time(_text(it.find("pubDate")) or _text(it.find(f"{_DC}date")))})
    return entries


#: Feeds fetched at the same time (network waits only; parsing and intake stay
#: sequential in the calling thread, which alone touches the database).
FETCH_WORKERS = 4
#: Longest back-off after repeated failures.
MAX_BACKOFF = timedelta(hours=24)


def backoff(poll_minutes: int, failures: int) -> timedelta:
    """After the n-th consecutive failure the feed rests 2ⁿ × its interval (≤ 24 h)."""
    if failures <= 0:
        return timedelta(0)
    return min(timedelta(minutes=max(1, poll_minutes)) * 2 ** min(failures, 16), MAX_BACKOFF)


def _fetch_for(source: OpinionSource) -> Fetched | FeedError:
    try:
        return fetch_conditional(source.url, etag=source.etag, last_modified=source.last_modified)
    except FeedError as exc:
        return exc


def poll_source(source: OpinionSource, *, now: datetime | None = None, fetched: Fetched | FeedError | None = None) -> PollReport:
    """Poll one source: a conditional GET (If-None-Match / If-Modified-Since
    from the last 200), then the entries through the ordinary intake. A 304
    costs nothing more. A failure is stored as the source's last error and
    backs the source off; a success clears both."""
    from .services import opinion_items_intake

    report = PollReport(source=source.name)
    now = now or timezone.now()
    result = fetched if fetched is not None else _fetch_for(source)
    validators: dict[str, str] = {}
    try:
        if isinstance(result, FeedError):
            raise result
        if result.not_modified:
            report.not_modified = True
            entries: list[dict[str, str]] = []
        else:
            entries = parse(result.body)
            validators = {"etag": result.etag, "last_modified": result.last_modified}
    except FeedError as exc:
        report.failure = str(exc)
    else:
        report.fetched = len(entries)
        raw = [
            {**{k: v for k, v in e.items() if k != "published_at"},
             "published_at": e["published_at"] or now.isoformat(),
             "source_kind": source.kind, "source_name": source.name}
            for e in entries
        ]
        results = opinion_items_intake(actor=None, items=parse_items(raw), via=OpinionItem.Via.FEED, source=source) if raw else []
        for r in results:
            if r.status == "created":
                report.created += 1
            elif r.status == "existing":
                report.existing += 1
            else:
                report.errors.append({"index": r.index, "url": entries[r.index].get("url", ""), "errors": r.errors})
    if report.failure:
        failures = source.failures + 1
        OpinionSource.objects.filter(pk=source.pk).update(
            last_polled_at=now, last_status=report.summary(), last_error=report.failure[:300], last_error_at=now,
            failures=failures, next_poll_at=now + backoff(source.poll_minutes, failures),
        )
        source.failures = failures
    else:
        OpinionSource.objects.filter(pk=source.pk).update(
            last_polled_at=now, last_status=report.summary(), failures=0, next_poll_at=None, **validators,
        )
        source.failures = 0
    if report.failure or report.errors:
        log.warning("feed %s: %s %s", source.name, report.summary(), report.errors[:5])
    return report


def due_sources(now: datetime) -> list[OpinionSource]:
    out = []
    for s in OpinionSource.objects.filter(active=True).exclude(url="").select_related("area"):
        if s.next_poll_at is not None and s.next_poll_at > now:
            continue  # backing off after failures
        if s.last_polled_at is None or (now - s.last_polled_at).total_seconds() >= s.poll_minutes * 60:
            out.append(s)
    return out


def poll_due(*, now: datetime) -> dict[str, str]:
    """Poll every due source: fetched concurrently (up to ``FETCH_WORKERS``),
    then parsed and taken in one after the other."""
    sources = due_sources(now)
    if not sources:
        return {}
    if len(sources) == 1:
        fetched = [_fetch_for(sources[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(FETCH_WORKERS, len(sources))) as pool:
            fetched = list(pool.map(_fetch_for, sources))
    return {s.name: poll_source(s, now=now, fetched=f).summary() for s, f in zip(sources, fetched)}

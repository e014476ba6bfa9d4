"""RSS 2.0 / Atom polling with the standard library (urllib + xml.etree).

A feed is fetched with a timeout and a size cap; documents declaring entities
(``<!ENTITY``) are refused (no entity-expansion bombs). Each entry becomes an
item for the ordinary intake service, so feed items are deduplicated, analysed
and clustered exactly like API items; a bad entry is skipped with its reason.
"""

from __future__ import annotations

import logging
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

    def summary(self) -> str:
        if self.failure:
            return self.failure[:300]
        return _("%(n)d entries: %(c)d new, %(e)d known, %(x)d refused") % {
            "n": self.fetched, "c": self.created, "e": self.existing, "x": len(self.errors)
        }


def fetch(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "GridDesk-opinion/1.0"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 (admin-configured http(s) URL)
            data: bytes = resp.read(MAX_FEED_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise FeedError(_("The feed could not be fetched: %(error)s") % {"error": exc}) from exc
    if len(data) > MAX_FEED_BYTES:
        raise FeedError(_("The feed is larger than %(mb)d MB.") % {"mb": MAX_FEED_BYTES // (1024 * 1024)})
    return data


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


def poll_source(source: OpinionSource, *, now: datetime | None = None) -> PollReport:
    from .services import opinion_items_intake

    report = PollReport(source=source.name)
    now = now or timezone.now()
    try:
        entries = parse(fetch(source.url))
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
        results = opinion_items_intake(actor=None, items=parse_items(raw), via=OpinionItem.Via.FEED, source=source)
        for r in results:
            if r.status == "created":
                report.created += 1
            elif r.status == "existing":
                report.existing += 1
            else:
                report.errors.append({"index": r.index, "url": entries[r.index].get("url", ""), "errors": r.errors})
    OpinionSource.objects.filter(pk=source.pk).update(last_polled_at=now, last_status=report.summary())
    if report.failure or report.errors:
        log.warning("feed %s: %s %s", source.name, report.summary(), report.errors[:5])
    return report


def due_sources(now: datetime) -> list[OpinionSource]:
    out = []
    for s in OpinionSource.objects.filter(active=True).exclude(url="").select_related("area"):
        if s.last_polled_at is None or (now - s.last_polled_at).total_seconds() >= s.poll_minutes * 60:
            out.append(s)
    return out

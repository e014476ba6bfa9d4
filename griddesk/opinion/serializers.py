"""Input shapes of the opinion API, forms and imports. Validation only.

Per-item refusal codes (stable; messages in Chinese by default):

``empty``                  no text (and no title) after markup is stripped
``binary``                 NUL bytes or mostly unprintable characters
``control_characters``     other control characters
``too_long``               text over :data:`MAX_TEXT_CHARS` characters
``script``                 ``<script>``, ``<iframe>``, ``javascript:`` or ``on…=`` handlers —
                           also entity-escaped (``&lt;script&gt;``, ``&amp;lt;…``): checked after
                           entities are decoded, and again after tags are stripped;
                           refused (an item carrying script is an injection attempt, not news);
                           other HTML markup is *stripped* to text (nh3) and the item is kept
``encoding``               mojibake: U+FFFD, 锟斤拷, or UTF-8 read as Latin-1 (Ã©, ç”µ …)
``future``                 published more than five minutes in the future
``naive`` / ``invalid``    a time without UTC offset / unparsable
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from griddesk.common.validation import AwareDateTimeField

from .models import SourceKind

MAX_TEXT_CHARS = 20_000
MAX_BATCH = 1000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SCRIPT = re.compile(r"<\s*(script|iframe|object|embed)\b|javascript\s*:|<[^>]+\son[a-z]+\s*=", re.I)
_BLOCK_TAG = re.compile(r"<\s*/?\s*(br|p|div|li|tr|td|h[1-6])\b[^>]*>", re.I)
_LATIN1_MOJIBAKE = re.compile(r"[ÃÂâåæçèéäï][\x80-\xbf\u0152-\u02dc\u2018-\u203a\u20ac\u2122]")
_MAX_ROUNDS = 10


def decode_entities(text: str) -> str:
    """HTML entities decoded until none is left (``&amp;lt;`` → ``&lt;`` → ``<``):
    whatever a consumer decodes, it cannot get more markup than checked here."""
    for _ in range(_MAX_ROUNDS):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def strip_markup(text: str, *, check: Callable[[str], object] | None = None) -> str:
    """Plain text of ``text``: entities decoded first, then tags (and the
    content of ``<script>``/``<style>``) removed by nh3 (the Ammonia
    sanitiser), which also handles comments, unclosed and malformed tags. Block
    tags become a space. Repeated while a round still removes something: removing
    ``<b>`` from ``<<b>script>`` leaves ``<script>``, which the next round
    removes — after ``check`` (the caller's script check) has seen it."""
    text = decode_entities(text)
    for _ in range(_MAX_ROUNDS):
        if "<" not in text:
            break
        cleaned = html.unescape(
            nh3.clean(_BLOCK_TAG.sub(" ", text), tags=set(), clean_content_tags={"script", "style"}, strip_comments=True)
        )
        if cleaned == text:
            break
        text = cleaned
        if check is not None:
            check(text)
    return text


def looks_mojibake(text: str) -> bool:
    if "\ufffd" in text or "锟斤拷" in text or "烫烫烫" in text or "屯屯屯" in text:
        return True
    hits = _LATIN1_MOJIBAKE.findall(text)
    if len(hits) >= 2:
        for enc in ("cp1252", "latin-1"):
            try:
                text.encode(enc).decode("utf-8")
                return True
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
        return len(hits) >= 4
    return False


def looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    if not text:
        return False
    bad = sum(1 for ch in text if _CONTROL.match(ch))
    return bad / len(text) > 0.1


class ItemTextField(serializers.CharField):
    """Text of an item: checked for binary, control characters, script,
    mojibake and length; other HTML is stripped."""

    default_error_messages = {
        "binary": _("The text looks like binary data, not text."),
        "control_characters": _("Contains control characters."),
        "script": _("Contains script (<script>, javascript: or event handlers); refused."),
        "encoding": _("The text is garbled (wrong character encoding); send it as UTF-8."),
        "too_long": _("The text is longer than {max} characters."),
    }

    def __init__(self, *, max_chars: int, **kwargs: Any) -> None:
        self.max_chars = max_chars
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)

    def _refuse_script(self, value: str) -> None:
        if _SCRIPT.search(value):
            self.fail("script")

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bytes):
            self.fail("binary")
        value = super().to_internal_value(data)
        if looks_binary(value):
            self.fail("binary")
        if len(value) > self.max_chars:
            self.fail("too_long", max=self.max_chars)
        # The script check runs on the decoded text (``&lt;script&gt;`` is
        # script to whoever decodes it) and again on the stripped text.
        value = decode_entities(value)
        self._refuse_script(value)
        value = strip_markup(value, check=self._refuse_script)
        if _CONTROL.search(value):
            self.fail("control_characters")
        if looks_mojibake(value):
            self.fail("encoding")
        return re.sub(r"[ \t\u3000]+", " ", value).strip()


class ItemSerializer(serializers.Serializer):
    source_kind = serializers.ChoiceField(choices=SourceKind.choices)
    source_name = ItemTextField(max_chars=100, required=False, allow_blank=True, default="")
    url = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    title = ItemTextField(max_chars=300, required=False, allow_blank=True, default="")
    text = ItemTextField(max_chars=MAX_TEXT_CHARS, required=False, allow_blank=True, default="")
    author = ItemTextField(max_chars=100, required=False, allow_blank=True, default="")
    published_at = AwareDateTimeField()
    area = ItemTextField(max_chars=50, required=False, allow_blank=True, default="")
    views = serializers.IntegerField(min_value=0, required=False, default=0)
    reposts = serializers.IntegerField(min_value=0, required=False, default=0)
    comments = serializers.IntegerField(min_value=0, required=False, default=0)
    sensitive_customer = serializers.BooleanField(required=False, default=False)

    def validate_url(self, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", value, re.I):
            raise serializers.ValidationError(_("Not a valid http(s) URL."), code="invalid_url")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("text") and not attrs.get("title"):
            raise serializers.ValidationError(
                {"text": [serializers.ErrorDetail(str(_("The item has no text.")), code="empty")]}
            )
        if not attrs.get("text"):
            attrs["text"] = attrs["title"]
        return attrs

    def to_data(self) -> ItemData:
        return ItemData(**self.validated_data)


@dataclass
class ItemData:
    source_kind: str
    text: str
    published_at: datetime
    source_name: str = ""
    url: str = ""
    title: str = ""
    author: str = ""
    area: str = ""
    views: int = 0
    reposts: int = 0
    comments: int = 0
    sensitive_customer: bool = False


def parse_items(raw: list[Any]) -> list[ItemData | dict[str, Any]]:
    """Each raw item → ItemData, or its error dict {field: [{code, message}]}
    (the batch continues). One serializer instance validates the whole batch
    (building a serializer per item costs more than validating it)."""
    from griddesk.common.errors import error_details as flatten

    child = ItemSerializer()
    out: list[ItemData | dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            out.append({"non_field_errors": [{"code": "invalid", "message": str(_("Each item must be a JSON object."))}]})
            continue
        try:
            validated = child.run_validation(item)
        except serializers.ValidationError as exc:
            errors = flatten(serializers.ValidationError(exc.detail).get_full_details())
            out.append(errors if isinstance(errors, dict) else {"non_field_errors": errors})
        else:
            out.append(ItemData(**validated))
    return out


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EmergencyCloseSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=5000)

"""Opinion text is sanitised after HTML entities are decoded: escaped script
(``&lt;script&gt;``, ``&amp;lt;script&amp;gt;``, ``&#60;script&#62;``) is refused
like raw script, other markup is stripped (nh3), and the API never serves ``<script>``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from griddesk.opinion.models import OpinionItem
from griddesk.opinion.serializers import ItemSerializer

from .conftest import item_payload

TAG = re.compile(r"<\s*/?\s*[a-z!]", re.I)

ESCAPED_SCRIPT = [
    "停电了&lt;script&gt;alert(1)&lt;/script&gt;",
    "停电了&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "停电了&amp;amp;lt;script&amp;amp;gt;alert(1)",
    "停电了&#60;script&#62;alert(1)&#60;/script&#62;",
    "停电了&#x3C;SCRIPT&#x3E;alert(1)",
    "停电了&lt;iframe src=//evil.example&gt;",
    "停电了&lt;img src=x onerror=alert(1)&gt;",
    "停电了&lt;a href=&quot;javascript:alert(1)&quot;&gt;点我&lt;/a&gt;",
    "停电了<<b>script>alert(1)<</b>/script>",  # stripping <b> forms <script>
]


@pytest.mark.parametrize("text", ESCAPED_SCRIPT)
def test_escaped_script_is_refused_like_raw_script(org: Any, post_items: Any, text: str) -> None:
    r = post_items("specialist", item_payload(text=text), expect=400)
    assert r.json()["errors"]["text"][0]["code"] == "script"
    assert not OpinionItem.objects.exists()


@pytest.mark.parametrize("field", ["title", "author", "source_name", "area"])
def test_every_text_field_decodes_before_the_script_check(field: str) -> None:
    s = ItemSerializer(data=item_payload(**{field: "&lt;script&gt;x&lt;/script&gt;"}))
    assert not s.is_valid()
    assert s.errors[field][0].code == "script"


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("<p>西山县<b>石门镇</b>电压不稳，灯一直闪&amp;空调开不了</p>", "西山县石门镇电压不稳，灯一直闪&空调开不了"),
        ("&lt;b&gt;东湖县停电&lt;/b&gt;三小时", "东湖县停电三小时"),
        ("&amp;lt;p&amp;gt;东湖县停电&amp;lt;/p&amp;gt;", "东湖县停电"),
        ("电压 < 200V 且电流 > 5A，东湖县停电", "电压 < 200V 且电流 > 5A，东湖县停电"),
        ("<style>p{color:red}</style>东湖县<!-- x -->停电", "东湖县停电"),
    ],
)
def test_markup_is_stripped_after_decoding(org: Any, post_items: Any, text: str, stored: str) -> None:
    body = post_items("specialist", item_payload(text=text), expect=201).json()
    item = OpinionItem.objects.get(pk=body["id"])
    assert item.text == stored


HOSTILE = [*ESCAPED_SCRIPT, "停电了<scr<b></b>ipt>alert(1)</script>", "<b onmouseover=alert(1)>停电</b>", "&lt;svg/onload=alert(1)&gt;停电", "<svg><script>x</script></svg>",
           "&lt;&lt;b&gt;script&gt;停电", "<b>&lt;</b>script>停电", "&lt;<b></b>script>停电", "<scr&#105;pt>停电</scr&#105;pt>"]


@pytest.mark.parametrize("text", HOSTILE)
def test_the_api_never_serves_markup(org: Any, client_for: Any, post_items: Any, text: str) -> None:
    r = post_items("specialist", item_payload(text=text, title="东湖县" + text))
    assert r.status_code in (201, 400), r.content
    if r.status_code == 400:
        assert r.json()["errors"]["text"][0]["code"] == "script" or r.json()["errors"]["title"][0]["code"] == "script"
        return
    item = OpinionItem.objects.get(pk=r.json()["id"])
    for value in (item.text, item.title):
        assert not TAG.search(value) and "script" not in value.lower(), value
    detail = client_for("specialist").get(f"/api/v1/opinion/stories/{item.story_id}/").json()
    served = json.dumps(detail, ensure_ascii=False)
    assert not TAG.search(served.replace("\\u003c", "<")), served[:500]

"""Demo public-opinion data: a storm-outage burst in one county, billing
complaints, a media exposure, praise, an inspection finding and a 12345
transfer — taken in through the real intake service (analysis, dedupe,
clustering, burst, risk), then one story judged and transferred.

Hook: ``from griddesk.opinion.demo import load_opinion_demo; load_opinion_demo()``
after the demo organisation exists (idempotent: items are keyed by URL).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from griddesk.organisation.access import actor_for

from . import services
from .models import OpinionItem, OpinionSource, Story
from .serializers import ItemSerializer

_STORM_TOWNS = ["城关", "临湖", "青山", "白沙"]
_STORM_LINES = [
    "暴雨后{t}镇整片停电，已经两个小时了，冰箱里的东西都要化了",
    "{t}镇{n}号楼停电，电梯困人，打95598一直占线",
    "东湖县{t}镇又停电！家里老人热得受不了，什么时候来电？",
    "{t}供电所电话打不通，停电也没有通知，太不负责了",
    "雷暴天气东湖县{t}镇线路跳闸，小区全黑了，孩子明天还要考试",
]
_BILLING = [
    "西山县{t}镇这个月电费比上个月多了两百多，家里没人住，电表是不是有问题",
    "阶梯电价怎么算的？西山县{t}镇好几户都说电费突然变高",
    "西山县{t}镇的电费单看不懂，打电话问供电所也说不清楚",
]
_PRAISE = [
    "感谢北岭县桃源供电所的师傅冒雨抢修，半夜就来电了，服务真好！",
    "北岭县双河供电所上门帮老人办理业务，很贴心，点赞",
]


def _payload(**kw: Any) -> dict[str, Any]:
    kw["published_at"] = kw["published_at"].isoformat()
    return kw


def demo_items(now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    # Quiet background over two weeks (so the storm stands out against a baseline).
    for d in range(14):
        for k in range(rng.randint(0, 2)):
            t = rng.choice(["城西", "石门", "龙泉", "杨柳"])
            items.append(_payload(source_kind="social", source_name="微博", url=f"https://weibo.example.com/demo/bill-{d}-{k}",
                                  text=rng.choice(_BILLING).format(t=t) + f"（{d}天前）", author=f"网友{d}{k}",
                                  published_at=now - timedelta(days=d, hours=rng.randint(1, 20)),
                                  views=rng.randint(20, 800), reposts=rng.randint(0, 10), comments=rng.randint(0, 20)))
    # The storm: ~40 posts in the last hour in 东湖县, some of them reposts of one viral post.
    viral = "暴雨后东湖县城关镇整片停电，已经两个小时了，冰箱里的东西都要化了，供电公司电话一直打不通！"
    for i in range(40):
        if i % 5 == 0:
            text = ("转发：" if i else "") + viral
        else:
            text = rng.choice(_STORM_LINES).format(t=rng.choice(_STORM_TOWNS), n=rng.randint(1, 30)) + f" #{i}"
        items.append(_payload(source_kind=rng.choice(["social", "social", "video", "forum"]), source_name="微博",
                              url=f"https://weibo.example.com/demo/storm-{i}", text=text, author=f"东湖网友{i}",
                              published_at=now - timedelta(minutes=rng.randint(1, 55)),
                              views=rng.randint(200, 20_000), reposts=rng.randint(0, 300), comments=rng.randint(0, 200)))
    # A media exposure.
    items.append(_payload(source_kind="news", source_name="江城晚报", url="https://news.example.com/demo/exposure",
                          title="记者调查：西山县石门镇一月停电五次 居民投诉无门",
                          text="本报记者调查发现，西山县石门镇一个月内停电五次，附近医院靠柴油发电机维持，居民多次拨打12345"
                               "反映仍投诉无门。石门供电所称线路老化，改造计划迟迟未落实。",
                          author="本报记者", published_at=now - timedelta(hours=5), views=180_000, reposts=2_600, comments=1_900))
    # Praise, an inspection finding, a 12345 transfer.
    for i, text in enumerate(_PRAISE):
        items.append(_payload(source_kind="social", source_name="微信", url=f"https://wx.example.com/demo/praise-{i}",
                              text=text, published_at=now - timedelta(hours=10 + i), views=300, reposts=5, comments=12))
    items.append(_payload(source_kind="inspection", source_name="明察暗访（营销部）", url="",
                          title="暗访城关营业厅", text="暗访发现东湖县城关营业厅窗口人员态度生硬，让客户反复跑腿补材料，未执行一次性告知。",
                          published_at=now - timedelta(days=1), area="东湖县"))
    items.append(_payload(source_kind="12345", source_name="12345政务热线", url="",
                          text="北岭县新华镇市民来电反映，电压不稳灯光闪烁，空调无法启动，户号3300998877，电话13900001111。",
                          published_at=now - timedelta(hours=3)))
    return items


def load_opinion_demo(*, now: datetime | None = None, seed: int = 20261128) -> dict[str, int]:
    now = now or timezone.now()
    rng = random.Random(seed)
    OpinionSource.objects.get_or_create(name="微博", defaults={"kind": "social"})
    OpinionSource.objects.get_or_create(name="江城晚报", defaults={"kind": "news"})
    raw = demo_items(now, rng)
    # Oldest first, in a few batches, as they would have arrived.
    raw.sort(key=lambda x: x["published_at"])
    parsed: list[Any] = []
    for body in raw:
        s = ItemSerializer(data=body)
        s.is_valid(raise_exception=True)
        parsed.append(s.to_data())
    created = 0
    for start in range(0, len(parsed), 50):
        results = services.opinion_items_intake(actor=None, items=parsed[start : start + 50], via=OpinionItem.Via.DEMO)
        created += sum(r.status == "created" for r in results)
    specialist = get_user_model().objects.filter(username="specialist").first()
    exposure = Story.objects.filter(items__url="https://news.example.com/demo/exposure").first()
    if specialist is not None and exposure is not None and exposure.state == "new":
        actor = actor_for(specialist)
        services.story_judge(story=exposure.pk, actor=actor, level="critical", may_cause_impact=True, needs_transfer=True,
                             note="媒体曝光，涉及医院，可能引发集中投诉")
        services.story_transfer(story=exposure.pk, actor=actor, note="转营销部牵头处理")
    return {"items": created, "stories": Story.objects.count()}

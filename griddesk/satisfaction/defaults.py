"""The default power-utility satisfaction model (CCSI style) and the default
return-visit rule, seeded by the data migration and by the tests' re-seed.

Constructs (潜变量): corporate image 企业形象 → customer expectation 客户期望 →
perceived quality, split into power-supply quality 供电质量 and service quality
服务质量 → perceived value 感知价值 → satisfaction 客户满意 → complaints 客户抱怨
(complaint handling, scored so that higher is better) and loyalty 客户忠诚.
"""

from __future__ import annotations

from typing import Any

DEFAULT_CODE = "ccsi-power"

#: (code, name, [(indicator code, question)])
CONSTRUCTS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("IM", "企业形象", [
        ("im1", "供电公司是一家值得信赖的企业"),
        ("im2", "供电公司积极履行社会责任"),
        ("im3", "供电公司在当地的总体口碑"),
    ]),
    ("CE", "客户期望", [
        ("ce1", "用电前您对供电质量的总体期望"),
        ("ce2", "您对供电服务满足个人需求的期望"),
        ("ce3", "您对供电服务可靠、少出差错的期望"),
    ]),
    ("PSQ", "供电质量", [
        ("psq1", "供电可靠，停电次数少、时间短"),
        ("psq2", "电压稳定，家用电器运行正常"),
        ("psq3", "计划停电提前通知、按时恢复送电"),
    ]),
    ("SVQ", "服务质量", [
        ("svq1", "95598热线接通及时、答复准确"),
        ("svq2", "工作人员态度热情、专业规范"),
        ("svq3", "故障抢修到达及时、处理高效"),
    ]),
    ("PV", "感知价值", [
        ("pv1", "与所获得的供电服务相比，电价合理"),
        ("pv2", "电费计量准确、账单清楚"),
        ("pv3", "缴费方便、渠道多样"),
    ]),
    ("CS", "客户满意", [
        ("cs1", "您对供电公司的总体满意程度"),
        ("cs2", "与您的期望相比，供电服务的满意程度"),
        ("cs3", "与理想中的供电服务相比的满意程度"),
    ]),
    ("CC", "客户抱怨", [
        ("cc1", "您反映的问题得到了及时处理"),
        ("cc2", "您对投诉处理结果的认可程度"),
        ("cc3", "向供电公司反映意见的便利程度"),
    ]),
    ("CL", "客户忠诚", [
        ("cl1", "您愿意继续使用供电公司的各项服务"),
        ("cl2", "您愿意向他人推荐供电公司的服务（如电子渠道、增值服务）"),
        ("cl3", "电价适度调整时您仍会支持供电公司"),
    ]),
]

PATHS: list[tuple[str, str]] = [
    ("IM", "CE"), ("IM", "CS"), ("IM", "CL"),
    ("CE", "PSQ"), ("CE", "SVQ"), ("CE", "PV"), ("CE", "CS"),
    ("PSQ", "PV"), ("SVQ", "PV"), ("PSQ", "CS"), ("SVQ", "CS"),
    ("PV", "CS"),
    ("CS", "CC"), ("CS", "CL"), ("CC", "CL"),
]


def seed(apps: Any, schema_editor: Any = None) -> None:
    """Idempotent: create the default rule and questionnaire if absent."""
    VisitRule = apps.get_model("satisfaction", "VisitRule")
    Questionnaire = apps.get_model("satisfaction", "Questionnaire")
    Construct = apps.get_model("satisfaction", "Construct")
    Indicator = apps.get_model("satisfaction", "Indicator")
    PathLink = apps.get_model("satisfaction", "PathLink")
    VisitRule.objects.get_or_create(code="default", defaults={"due_working_days": 2, "max_attempts": 3, "assignee": "specialist"})
    if Questionnaire.objects.filter(code=DEFAULT_CODE).exists():
        return
    q = Questionnaire.objects.create(
        code=DEFAULT_CODE,
        name="电力客户满意度调查（CCSI 模型）",
        description="按中国顾客满意度指数（CCSI）思路构建的供电企业客户满意度模型：企业形象、客户期望、供电质量、服务质量、感知价值、客户满意、客户抱怨、客户忠诚。",
        scale_max=10,
        missing_policy="mean",
        max_missing_per_row=3,
        index_construct="CS",
        bootstrap=200,
    )
    constructs = {}
    n = 0
    for i, (code, name, items) in enumerate(CONSTRUCTS):
        c = Construct.objects.create(questionnaire=q, code=code, name=name, mode="A", sort=i)
        constructs[code] = c
        for icode, text in items:
            n += 1
            Indicator.objects.create(questionnaire=q, construct=c, code=icode, text=text, sort=n)
    for src, dst in PATHS:
        PathLink.objects.create(questionnaire=q, source=constructs[src], target=constructs[dst])

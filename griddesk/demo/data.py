"""Realistic demo vocabulary: customers, places and 95598 complaint texts.

Everything here is plain data plus small generators that take a
``random.Random`` so the demo is reproducible for a given seed. The texts are
written the way 95598 agents record a call: who, what happened, what the
customer asks for. Placeholders in ``{}`` are filled per order by
:func:`fill`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from griddesk.organisation.demo import COUNTIES

# ------------------------------------------------------------------ people

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕小红玉兰文斌春梅红梅国庆德明"
    "宏伟晓东丽华永强金凤秋菊建平淑珍振华国强凤英玉梅浩然子涵欣怡宇轩梓萱俊杰思远佳怡"
)
_GIVEN_SINGLE = list(dict.fromkeys(GIVEN))
_GIVEN_DOUBLE = [
    "建国", "建华", "志强", "海燕", "小红", "玉兰", "文斌", "春梅", "红梅", "国庆", "德明", "宏伟", "晓东", "丽华",
    "永强", "金凤", "秋菊", "建平", "淑珍", "振华", "国强", "凤英", "玉梅", "浩然", "子涵", "欣怡", "宇轩", "梓萱",
    "俊杰", "思远", "佳怡", "桂芳", "长青", "卫东", "秀珍", "爱华", "明辉", "新民", "立新", "少华", "红霞", "雪梅",
]


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.7:
        return surname + rng.choice(_GIVEN_DOUBLE)
    return surname + rng.choice(_GIVEN_SINGLE)


_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157",
    "158", "159", "166", "173", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191",
    "195", "198", "199",
)


def mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def landline(rng: random.Random) -> str:
    return f"0716-{rng.randrange(2_000_000, 9_000_000)}"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number(rng: random.Random, area_code: str) -> str:
    """A well-formed 18-digit resident ID (valid check digit, fictitious person)."""
    year = rng.randint(1945, 2004)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    body = f"{area_code}{year:04d}{month:02d}{day:02d}{rng.randrange(1000):03d}"
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS)) % 11]
    return body + check


# ------------------------------------------------------------------ places

CITY = "江城市"
CITY_DISTRICTS = ("江北区", "江南区", "高新区")
_CITY_ROADS = ("解放大道", "中山路", "建设路", "人民路", "沿江大道", "长江路", "光谷大道", "友谊路")
_COUNTY_ROADS = ("新华路", "人民路", "建设街", "朝阳路", "府前街", "东风路", "健康路", "文化路", "车站路")
_COMMUNITIES = ("幸福家园", "锦绣花园", "阳光小区", "金色港湾", "滨湖苑", "翠苑小区", "书香门第", "和谐家园", "供电小区")
_VILLAGES = (
    "王家湾", "李家岗", "张庄", "刘家垸", "陈家台", "杨树湾", "黄土坡", "石桥", "河口", "新堤", "白鹤", "柳林",
    "枣树岭", "荷花塘", "马家畈", "周家店", "桂花", "青龙", "双庙", "高家岭",
)
_AREA_CODES = {"east": "421121", "west": "421122", "north": "421123", "city": "421102"}


@dataclass(frozen=True)
class Place:
    """A supply area: a county town served by one power-supply station, or a city district."""

    county_key: str  # "east" / "west" / "north" or "city"
    county: str  # 东湖县 / 江北区
    town: str  # 城关街道 / 临湖镇 / "" for the city
    station_code: str | None  # east-ps-2 …

    @property
    def area_code(self) -> str:
        return _AREA_CODES[self.county_key]


def _town_name(short: str) -> str:
    return f"{short}街道" if short in ("城关", "城西", "北城") else f"{short}镇"


#: One place per power-supply station of the demo organisation (same order as
#: ``build_demo_org`` creates them), plus the city districts the city company serves.
STATION_PLACES: tuple[Place, ...] = tuple(
    Place(key, area, _town_name(short), f"{key}-ps-{i}")
    for key, _name, area, towns in COUNTIES
    for i, short in enumerate(towns, start=1)
)
CITY_PLACES: tuple[Place, ...] = tuple(Place("city", d, "", None) for d in CITY_DISTRICTS)


def address(rng: random.Random, place: Place, category: str) -> str:
    if place.station_code is None:
        road = rng.choice(_CITY_ROADS)
        if category == "residential":
            return (
                f"{CITY}{place.county}{road}{rng.randint(1, 399)}号{rng.choice(_COMMUNITIES)}"
                f"{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元{rng.randint(1, 30)}{rng.randint(1, 4):02d}室"
            )
        return f"{CITY}{place.county}{road}{rng.randint(1, 399)}号"
    prefix = f"{CITY}{place.county}{place.town}"
    urban = place.town.endswith("街道")
    if category == "residential":
        if urban or rng.random() < 0.3:
            return (
                f"{prefix}{rng.choice(_COUNTY_ROADS)}{rng.randint(1, 299)}号{rng.choice(_COMMUNITIES)}"
                f"{rng.randint(1, 18)}栋{rng.randint(1, 3)}单元{rng.randint(1, 18)}{rng.randint(1, 4):02d}室"
            )
        return f"{prefix}{rng.choice(_VILLAGES)}村{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    if category == "agricultural":
        return f"{prefix}{rng.choice(_VILLAGES)}村{rng.randint(1, 12)}组"
    if category == "large_industry":
        return f"{CITY}{place.county}经济开发区{rng.choice(('工业大道', '创业路', '兴业路', '园区一路'))}{rng.randint(1, 120)}号"
    return f"{prefix}{rng.choice(_COUNTY_ROADS)}{rng.randint(1, 299)}号"


_SHOP_WORDS = ("华联", "家家乐", "新世纪", "好又多", "福满楼", "聚贤", "金鼎", "顺发", "鸿运", "天天", "惠民", "兴旺")
_SHOP_KINDS = ("超市", "酒楼", "宾馆", "农家乐", "汽车修理厂", "幼儿园", "诊所", "网吧", "冷库", "加油站", "物流有限公司", "建材商行")
_FACTORY_WORDS = ("江城", "楚天", "长丰", "荆楚", "鑫源", "宏达", "华鑫", "金龙", "顺达", "恒力", "振兴", "兴发")
_FACTORY_KINDS = ("钢铁有限公司", "水泥有限公司", "化工有限公司", "纺织有限公司", "造纸厂", "铸造有限公司", "陶瓷有限公司", "新材料科技有限公司")
_FARM_KINDS = ("村排灌站", "生猪养殖场", "水产养殖合作社", "蔬菜种植专业合作社", "粮食烘干厂", "茶叶专业合作社", "村提灌站")


def customer_name(rng: random.Random, category: str, place: Place) -> str:
    town = place.town.removesuffix("街道").removesuffix("镇") or place.county.removesuffix("区")
    if category == "residential":
        return person_name(rng)
    if category == "commercial":
        if rng.random() < 0.4:
            return f"{town}{person_name(rng)}{rng.choice(('便利店', '餐馆', '理发店', '小卖部'))}"
        return f"{town}{rng.choice(_SHOP_WORDS)}{rng.choice(_SHOP_KINDS)}"
    if category == "large_industry":
        return f"{CITY}{rng.choice(_FACTORY_WORDS)}{rng.choice(_FACTORY_KINDS)}"
    return f"{town}{rng.choice(_VILLAGES)}{rng.choice(_FARM_KINDS)}"


CUSTOMER_CATEGORIES = ("residential", "commercial", "large_industry", "agricultural")
CUSTOMER_CATEGORY_WEIGHTS = (82, 10, 2, 6)


def voltage_level(rng: random.Random, category: str) -> str:
    if category == "residential":
        return "220V" if rng.random() < 0.93 else "380V"
    if category == "commercial":
        return rng.choices(("220V", "380V", "10kV"), (30, 55, 15))[0]
    if category == "large_industry":
        return rng.choices(("10kV", "35kV", "110kV"), (55, 35, 10))[0]
    return rng.choices(("380V", "10kV"), (85, 15))[0]


def customer_phone(rng: random.Random, category: str) -> str:
    if category in ("commercial", "large_industry") and rng.random() < 0.4:
        return landline(rng)
    return mobile(rng)


#: Share of customers flagged as sensitive (敏感客户: media-prone, repeated
#: escalations, people's congress deputies, key enterprises).
SENSITIVE_SHARE = {"residential": 0.02, "commercial": 0.03, "large_industry": 0.15, "agricultural": 0.02}


# ------------------------------------------------------------------ order mix

ORDER_TYPES = (
    "complaint", "report", "opinion", "suggestion", "praise", "inquiry", "fault_repair", "service_request", "public_opinion",
)
ORDER_TYPE_WEIGHTS = (58, 2, 6, 3, 4, 9, 10, 6, 2)

CHANNELS = ("95598", "online", "wechat", "alipay", "hall", "12345", "media", "inspection")
CHANNEL_WEIGHTS = (60, 10, 9, 3, 6, 8, 1, 3)

# ------------------------------------------------------------------ texts
#
# (title, content, remedy sought). Placeholders: {town} {county} {days} {hours}
# {amount} {amount2} {date} {staff} {times} {volt}


COMPLAINT_TEXTS: dict[str, list[tuple[str, str, str]]] = {
    "service.attitude": [
        ("营业厅人员态度恶劣", "客户反映{date}到{town}供电营业厅办理业务时，{staff}态度冷淡、语气生硬，客户询问电费明细时对方不耐烦并出言顶撞，客户认为服务态度恶劣。", "要求对当事人批评教育并向客户道歉"),
        ("抢修人员服务态度差", "客户反映{date}家中停电报修后，抢修人员到场后态度蛮横，称“你家线路问题自己找电工”，未做任何解释便离开，客户对此非常不满。", "要求核实处理并给予答复"),
        ("电话回访人员推诿", "客户反映多次拨打{town}供电所电话咨询用电问题，接电话的工作人员推诿不办，让客户“找95598去”，态度敷衍。", "要求供电所负责人联系客户解决问题"),
    ],
    "service.conduct": [
        ("工作人员索要好处费", "客户反映办理新装时，{staff}暗示需要给“辛苦费”才能尽快装表接电，客户认为存在吃拿卡要行为。", "要求严肃查处"),
        ("指定施工单位", "客户反映申请{volt}增容时，供电所工作人员要求必须使用其指定的施工队并购买指定厂家的设备，否则不予验收。", "要求取消指定，按规定办理"),
    ],
    "service.hall": [
        ("营业厅排队时间长", "客户反映{date}上午在{town}营业厅办理过户业务，只开放一个窗口，排队等待超过{hours}小时，其间无人引导分流。", "要求营业厅增开窗口、改进服务"),
        ("营业厅未按时开门", "客户反映{date}上午8点半到{town}供电营业厅办理业务，营业厅大门紧闭，直到9点20分才有人开门，公示的营业时间形同虚设。", "要求说明原因并整改"),
    ],
    "service.hotline": [
        ("95598回复不一致", "客户反映就同一停电问题{times}次拨打95598，每次得到的恢复送电时间都不一样，客户认为热线答复随意，耽误了其生产安排。", "要求给出准确答复"),
        ("热线等待时间过长", "客户反映拨打95598热线转人工服务等待超过{hours}0分钟无人接听，多次被挂断，反映问题无门。", "要求改进热线接通率"),
    ],
    "service.onsite": [
        ("装表人员未清理现场", "客户反映{date}供电所人员上门更换电能表后，将旧表箱、废线头随意丢弃在楼道，未做清理。", "要求清理现场并致歉"),
        ("上门未按约定时间", "客户反映与供电所约定{date}上午上门勘查，客户请假在家等候一整天，工作人员既未到场也未提前告知改期。", "要求说明原因并尽快上门"),
    ],
    "business.tariff": [
        ("电费异常偏高", "客户反映本月电费{amount}元，比上月高出近一倍，家中用电设备和用电习惯没有变化，怀疑电费计算有误。", "要求核查电费并退还多收部分"),
        ("阶梯电价执行有误", "客户反映其家庭为多人口户，已办理阶梯电价多人口增加基数，但本期电费仍按普通标准计算，多收电费约{amount2}元。", "要求按多人口政策重新核算"),
        ("峰谷电价未生效", "客户反映上个月已在网上国网申请执行峰谷分时电价，至今电费仍按平段电价计收。", "要求尽快执行峰谷电价并补退差额"),
        ("基本电费计收有异议", "客户反映企业变压器已于上月办理暂停，但本月仍被计收基本电费{amount}元。", "要求核实暂停手续并退还基本电费"),
    ],
    "business.metering": [
        ("怀疑电能表走快", "客户反映家中外出{days}天无人居住，电能表读数仍增加了{amount2}度，怀疑电能表计量不准。", "要求对电能表进行校验"),
        ("换表后电量突增", "客户反映上月供电所更换智能电表后，月用电量由原来的{amount2}度左右增加到三倍，怀疑新表有问题或接线错误。", "要求现场检查并校验电表"),
    ],
    "business.meter_reading": [
        ("估抄电量", "客户反映连续两个月电费账单读数与现场电表读数不符，怀疑抄表员未到现场抄表，估抄电量。", "要求核实抄表情况并更正电费"),
        ("电费账单户号错误", "客户反映收到的电费账单为邻居户的用电量，两户电表可能装错或抄错，已连续交错电费{days}个月。", "要求核实并调整电费"),
    ],
    "business.payment": [
        ("缴费未到账", "客户反映{date}通过网上国网缴纳电费{amount}元，银行已扣款，但系统显示仍欠费并收到停电通知。", "要求核实到账情况并撤销停电通知"),
        ("代扣重复扣款", "客户反映银行代扣电费时本月重复扣款两次，共多扣{amount}元。", "要求退还重复扣款"),
        ("欠费停电未提前通知", "客户反映因电费逾期几天，未收到任何催费短信或通知便被远程停电，家中冰箱食物全部变质。", "要求说明停电依据并赔偿损失"),
    ],
    "business.installation": [
        ("新装电表超时未装", "客户反映申请新装居民生活用电，资料齐全，已超过{days}个工作日仍未装表接电，多次催问无果。", "要求尽快装表接电"),
        ("报装手续繁琐", "客户反映申请{volt}新装，供电所要求反复提交同样的材料，来回跑了{times}趟仍未受理。", "要求一次性告知并加快办理"),
    ],
    "business.change": [
        ("过户迟迟不办", "客户反映购买二手房后申请电表过户，提交材料已{days}天，系统中户名仍是原房主。", "要求尽快办理过户"),
        ("增容申请无回复", "客户反映店铺申请由220V增容为380V，已提交申请{days}天无人联系勘查。", "要求尽快安排现场勘查"),
    ],
    "outage.planned": [
        ("计划停电时间过长", "客户反映{date}计划停电公告为8:00至14:00，实际到晚上{hours}点才恢复送电，严重影响生意。", "要求说明原因，今后按公告时间送电"),
        ("频繁计划停电", "客户反映本月{town}已经计划停电{times}次，每次都是一整天，养殖场增氧机无法运行，损失严重。", "要求合理安排停电计划、减少停电次数"),
    ],
    "outage.fault": [
        ("故障停电长时间未恢复", "客户反映{date}晚上{town}片区突然停电，至今已停电{hours}个小时仍未恢复，家中有老人和婴儿，十分不便。", "要求尽快恢复供电"),
        ("雷雨后停电无人处理", "客户反映雷雨天气后村里停电，拨打报修电话后抢修人员迟迟未到，全村{hours}个小时没电。", "要求尽快抢修并说明原因"),
    ],
    "outage.repair": [
        ("抢修超时到达", "客户反映{date}报修家中停电，抢修人员承诺45分钟内到达，实际过了{hours}个多小时才到现场。", "要求对抢修超时问题作出解释"),
        ("抢修收取费用", "客户反映抢修人员更换进户线后向其收取了{amount2}元材料费，未出具任何票据。", "要求核实收费依据并退还"),
    ],
    "outage.notice": [
        ("停电未提前通知", "客户反映{date}{town}停电，事先没有任何公告或短信通知，企业生产线突然中断，造成产品报废。", "要求说明未通知原因并赔偿损失"),
        ("停电信息与实际不符", "客户反映网上国网停电信息显示{date}下午恢复送电，但实际到第二天才来电，信息严重滞后。", "要求及时准确发布停电信息"),
    ],
    "power_quality.voltage": [
        ("电压偏低电器无法使用", "客户反映近{days}天每天晚上7点到10点家中电压只有160V左右，空调、冰箱无法启动，灯光昏暗。", "要求尽快治理低电压问题"),
        ("电压过高烧坏电器", "客户反映{date}家中电压突然升高，烧坏电视机、冰箱等电器，邻居家也有类似情况。", "要求查明原因并赔偿损失"),
        ("电压波动影响生产", "客户反映企业{volt}供电电压波动频繁，导致生产设备多次跳闸停机。", "要求检测电压质量并整改"),
    ],
    "power_quality.frequent": [
        ("频繁停电", "客户反映本月{town}{volt}线路已停电{times}次，每次停几分钟到几个小时不等，严重影响生活。", "要求查明频繁停电原因并彻底解决"),
        ("夜间频繁跳闸", "客户反映近一周每天晚上台区总开关跳闸，一晚上停电两三次，供电所每次只是合闸送电，未根治。", "要求对台区进行改造"),
    ],
    "power_quality.reliability": [
        ("台区容量不足", "客户反映所在小区变压器容量不足，夏季用电高峰经常过载停电，已反映多次。", "要求对台区增容改造"),
        ("线路老化存在隐患", "客户反映{town}老街线路老化严重，电线杆倾斜，下雨天经常断电。", "要求尽快改造线路"),
    ],
    "grid_construction.compensation": [
        ("线路青苗赔偿未兑现", "客户反映去年供电公司架设{volt}线路经过其承包地，损毁青苗，承诺的青苗赔偿款{amount}元至今未兑现。", "要求尽快兑现赔偿款"),
        ("杆塔占地补偿争议", "客户反映新建线路在其宅基地旁立杆，未与其协商，也未给予任何补偿。", "要求移杆或给予补偿"),
    ],
    "grid_construction.environment": [
        ("施工噪音扰民", "客户反映{town}变电站改造工程夜间施工，噪音很大，严重影响附近居民休息。", "要求停止夜间施工"),
        ("施工后路面未恢复", "客户反映电缆敷设施工开挖路面后已{days}天未恢复，道路泥泞，出行困难。", "要求尽快恢复路面"),
    ],
    "grid_construction.progress": [
        ("农网改造进度缓慢", "客户反映村里农网改造工程开工{days}天后停工，旧线已拆新线未通，部分村民只能临时接电。", "要求加快工程进度"),
        ("配电房建设拖延", "客户反映小区配套配电房建设拖延，小区交房{days}天仍未正式通电，业主只能用临时电。", "要求尽快完成建设并正式供电"),
    ],
    "grid_construction.safety": [
        ("电线距离房屋过近", "客户反映{volt}线路距离其房屋屋顶不足两米，下雨天能听到放电声，存在严重安全隐患。", "要求尽快迁改线路"),
        ("表箱损坏无人维修", "客户反映楼道内电表箱门损坏、电线裸露已{days}天，小孩经常在附近玩耍，存在触电风险。", "要求尽快维修"),
    ],
}

OTHER_TEXTS: dict[str, list[tuple[str, str, str]]] = {
    "report": [
        ("举报工作人员违规收费", "来电人举报{town}供电所{staff}在办理新装时私自收取“加急费”{amount2}元，未开具发票。", "要求查处并退还费用"),
        ("举报窃电行为", "来电人举报{town}一家砖厂长期私拉乱接、绕越电能表用电，存在窃电嫌疑。", "要求现场查处"),
    ],
    "opinion": [
        ("对停电安排有意见", "客户对{town}近期停电安排在白天营业高峰时段有意见，认为影响商户经营。", "希望今后尽量安排在夜间或周末"),
        ("对电费账单格式有意见", "客户认为电子账单内容过于简单，看不懂阶梯电量的计算方法。", "希望账单增加计算明细"),
    ],
    "suggestion": [
        ("建议增加缴费网点", "客户建议在{town}集镇增设自助缴费终端，方便不会使用手机缴费的老年人。", "建议增设缴费网点"),
        ("建议延长营业时间", "客户建议营业厅周末也开放半天，方便上班族办理业务。", "建议调整营业时间"),
    ],
    "praise": [
        ("表扬抢修及时", "客户来电表扬{town}供电所抢修人员，{date}深夜冒雨抢修，{hours}个小时内恢复供电，服务热情周到。", "希望转达感谢"),
        ("表扬营业厅服务", "客户表扬{town}营业厅{staff}耐心细致，帮助其一次性办好过户和峰谷电价业务。", "希望给予表扬"),
    ],
    "inquiry": [
        ("咨询阶梯电价政策", "客户咨询居民阶梯电价的分档电量标准和多人口家庭如何申请增加基数。", "请告知办理方式"),
        ("咨询分布式光伏并网", "客户咨询在自家屋顶安装分布式光伏需要办理哪些并网手续、余电上网电价如何结算。", "请告知办理流程"),
        ("咨询电费余额", "客户咨询其户电费余额及本月账单明细。", "请告知"),
    ],
    "fault_repair": [
        ("家中停电报修", "客户报修家中无电，邻居家有电，表箱内开关跳闸后无法合上。", "要求尽快上门处理"),
        ("表箱冒烟报修", "客户报修楼道电表箱冒烟并有焦糊味，已自行远离。", "要求紧急处理"),
        ("电线被风刮断", "客户报修{town}{date}大风将进村低压线刮断落地，存在安全隐患。", "要求立即抢修"),
    ],
    "service_request": [
        ("申请电能表校验", "客户申请对家中电能表进行校验，认为近期电量偏高。", "申请校验"),
        ("申请更名过户", "客户申请将户名由已故父亲名下更改为本人名下。", "申请办理更名"),
        ("申请迁移电表", "客户因房屋改造申请将电表箱由室内迁至室外墙面。", "申请迁表"),
    ],
    "public_opinion": [
        ("网络发帖反映停电", "网民在本地论坛发帖称{town}“一周停电{times}次，供电公司不作为”，帖子已有较多转发和评论。", "需核实情况并及时回应"),
        ("短视频反映电压低", "网民发布短视频反映{town}农村晚上电压低、灯泡发红，视频播放量较高。", "需核实并回应"),
    ],
}

#: Findings, responsibility analysis, rectification measures, company at fault —
#: by top-level category (and "other" for the non-complaint types).
REPORT_TEXTS: dict[str, list[tuple[str, str, str, bool]]] = {
    "service": [
        ("经调阅营业厅监控录像并询问当事人，工作人员在答复客户时确有语气生硬、解释不耐心的情况。", "工作人员服务意识淡薄，违反供电服务规范，属供电企业责任。", "对当事人进行批评教育、扣减当月绩效，组织营业厅人员开展服务礼仪培训，已上门向客户致歉。", True),
        ("经核实，工作人员已按规定向客户解释业务办理要求，客户因材料不齐未能当场办理而产生误解。", "非供电企业责任，双方沟通不充分。", "向客户一次性告知所需材料，安排专人跟踪办理。", False),
    ],
    "business": [
        ("现场核查电能表运行正常，接线正确，系统电量与现场示数一致；客户本期用电量增加系空调使用所致。", "电费计算无误，非供电企业责任。", "向客户解释阶梯电价政策，提供近12个月用电明细分析，引导客户关注网上国网用电提醒。", False),
        ("经核查，因抄表数据录入错误导致本期电费多计，已确认差错。", "抄表核算环节审核不严，属供电企业责任。", "已为客户退补电费差额，对抄表核算人员进行考核，完善数据复核机制。", True),
        ("经核实，缴费资金因银行渠道对账延迟未及时销账，造成客户误收催费通知。", "缴费渠道对账问题，属供电企业管理责任。", "已完成销账并撤销催费通知，督促渠道方优化实时对账。", True),
    ],
    "outage": [
        ("经查，停电系10kV线路遭雷击导致故障跳闸，抢修人员到达后因故障点查找困难延长了停电时间。", "自然灾害引发的故障停电，抢修过程存在信息告知不及时问题。", "已恢复供电，加强故障停电信息报送，对线路加装防雷设施。", True),
        ("经核实，计划停电已提前七天在村委会公告栏和网上国网发布公告，客户未注意到公告。", "停电告知符合规定，非供电企业责任。", "向客户说明停电原因及公告情况，为其办理停电信息短信订阅。", False),
    ],
    "power_quality": [
        ("现场测量台区末端电压晚高峰为168V，低于合格范围，原因为台区供电半径过长、负荷增长较快。", "台区改造不及时，属供电企业责任。", "已调整变压器分接头作为临时措施，台区新增布点改造列入本年计划，预计一个月内完成。", True),
        ("现场监测电压合格，客户家中电压偏低系户内线路老化、截面过小所致。", "属客户产权范围内问题，非供电企业责任。", "告知客户委托有资质的电工更换户内线路，并提供安全用电指导。", False),
    ],
    "grid_construction": [
        ("经核实，青苗赔偿款因施工单位与村委会结算手续未完成而延迟发放。", "工程管理协调不力，属供电企业管理责任。", "已督促施工单位完成结算，赔偿款已发放到位，加强工程属地协调管理。", True),
        ("现场测量导线对房屋安全距离符合规程要求，不存在安全隐患。", "线路设计施工符合规范，非供电企业责任。", "向客户解释安全距离标准，加装警示标识并定期巡视。", False),
    ],
    "other": [
        ("已按客户诉求办理完毕，并电话告知客户办理结果。", "按业务规范正常办理。", "持续跟踪客户后续需求。", False),
    ],
}

STATION_FINDINGS: dict[str, list[str]] = {
    "service": ["供电所已约谈当事人，当事人承认当时语气不当。", "供电所核实当日营业厅确实只开放一个窗口，原因为人员病假。"],
    "business": ["供电所现场核查电能表运行正常，示数与系统一致。", "现场核对发现两户电能表表位标识错位，已纠正。"],
    "outage": ["供电所核实停电原因为线路故障，已于当日恢复送电。", "供电所核实计划停电已提前公告，公告照片已上传。"],
    "power_quality": ["供电所现场测量晚高峰电压168V，台区末端电压偏低。", "供电所现场测量电压合格，客户户内线路老化。"],
    "grid_construction": ["供电所现场核实施工单位尚未完成路面恢复。", "供电所现场测量导线对地及对房屋距离符合规程要求。"],
    "other": ["供电所已联系客户并现场处理完毕。"],
}

VISIT_WORDS = {
    "satisfied": ("客户表示问题已经解决，对处理结果满意。", "客户表示满意，感谢供电公司及时处理。"),
    "basically_satisfied": ("客户表示基本满意，希望今后加强沟通。", "客户表示问题基本解决，但希望处理速度再快一些。"),
    "unsatisfied": ("客户表示问题仍未解决，对处理结果不满意，要求重新处理。", "客户认为调查结论不客观，不接受处理结果。"),
    "unreachable": ("三次拨打客户电话均无人接听，已发送短信告知处理结果。",),
}

INVALID_REASONS = (
    "客户诉求属小区内部线路问题，由物业负责维护，不属于供电企业业务范围，已告知客户联系物业。",
    "客户来电信息不全，多次联系无法核实，按规定退单。",
    "经核实为客户误拨，无实际诉求。",
    "客户诉求已通过营业厅当场解决，无需派单处理。",
)
MERGE_NOTES = ("同一客户就同一问题重复来电，合并处理。", "与已受理工单诉求一致，合并至原工单处理。")
REOPEN_REASONS = ("回访后客户再次来电反映问题未彻底解决，重新调查处理。", "复核发现整改措施未落实到位，重新调查。")
RETURN_REPORT_NOTES = ("调查报告缺少现场照片和责任认定依据，请补充后重新提交。", "整改措施过于笼统，请明确完成时限和责任人。")
URGE_NOTES = ("客户再次来电催促处理进度。", "客户来电询问处理进展，情绪较为激动。")
GRADE_UP_REASONS = ("客户情绪激动并声称将向媒体反映，提级处理。", "同一问题多次来电，提级督办。")
GRADE_DOWN_REASONS = ("经研判诉求影响范围小，降级处理。",)
ASSIGN_NOTES = ("请供电所现场核实并反馈。", "请供电所于一个工作日内现场核查并上传照片。")
ASSESS_NOTES = ("按时办结，处理规范。", "办理超时，按规定考核。", "")


#: ``{date}``: relative to the day the customer called (texts are filled before that day is known).
_WHEN = ("今天", "昨天", "昨天", "前天", "三天前")


def fill(rng: random.Random, template: str, town: str, county: str) -> str:
    """Fill the placeholders of one text template with plausible values."""
    if "{" not in template:
        return template
    return template.format(
        town=town or county,
        county=county,
        days=rng.randint(3, 20),
        hours=rng.randint(2, 9),
        amount=f"{rng.randint(180, 2600)}.{rng.randrange(100):02d}",
        amount2=rng.randint(40, 600),
        date=rng.choice(_WHEN),
        staff=f"{rng.choice(SURNAMES)}姓工作人员",
        times=rng.randint(3, 8),
        volt=rng.choice(("10kV", "380V", "35kV")),
    )


def texts_for(order_type: str, category: str | None) -> list[tuple[str, str, str]]:
    if order_type == "complaint" and category:
        return COMPLAINT_TEXTS[category]
    return OTHER_TEXTS.get(order_type) or OTHER_TEXTS["inquiry"]


def report_key(category: str | None) -> str:
    top = (category or "").split(".", 1)[0]
    return top if top in REPORT_TEXTS else "other"


#: Complaint categories with weights (tariff / outage / voltage are the big ones in 95598 data).
COMPLAINT_CATEGORY_WEIGHTS: dict[str, int] = {
    "service.attitude": 6, "service.conduct": 2, "service.hall": 3, "service.hotline": 2, "service.onsite": 3,
    "business.tariff": 14, "business.metering": 7, "business.meter_reading": 4, "business.payment": 6,
    "business.installation": 5, "business.change": 3,
    "outage.planned": 5, "outage.fault": 9, "outage.repair": 5, "outage.notice": 3,
    "power_quality.voltage": 8, "power_quality.frequent": 6, "power_quality.reliability": 3,
    "grid_construction.compensation": 3, "grid_construction.environment": 2, "grid_construction.progress": 2,
    "grid_construction.safety": 2,
}

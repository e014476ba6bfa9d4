"""The demo utility's organisation: used by ``griddesk demo`` and by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Department, DepartmentType
from .services import department_create, staff_create

DEMO_PASSWORD = "griddesk-demo"

COUNTIES = [
    ("east", "东湖县供电公司", "东湖县", ["城关", "临湖", "青山", "白沙"]),
    ("west", "西山县供电公司", "西山县", ["城西", "石门", "龙泉", "杨柳"]),
    ("north", "北岭县供电公司", "北岭县", ["北城", "桃源", "双河", "新华"]),
]

#: (username, department code, role, display name) — one user per role, plus the
#: handlers of each lead department so a complaint can be walked end to end.
DEMO_USERS = [
    ("admin", "city", "admin", "系统管理员"),
    ("agent", "city-95598", "agent_95598", "王坐席"),
    ("specialist", "city-marketing", "service_specialist", "李专责"),
    ("marketing", "city-marketing", "lead_handler", "赵营销"),
    ("audit", "city-audit", "lead_handler", "钱监审"),
    ("service_center", "city-ccc", "lead_handler", "孙客服"),
    ("station", "east-ps-1", "station_investigator", "周所长"),
    ("manager", "city", "manager", "吴经理"),
    ("leader", "city", "leader", "郑领导"),
]


@dataclass
class DemoOrg:
    company: Department
    departments: dict[str, Department] = field(default_factory=dict)
    stations: list[Department] = field(default_factory=list)


@transaction.atomic
def build_demo_org(*, with_users: bool = True) -> DemoOrg:
    from griddesk.workorders.reference import seed_reference_data

    # Normally present from the data migration; a flushed test database lacks it.
    seed_reference_data()
    existing = Department.objects.filter(code="city").first()
    if existing is not None:
        depts = {d.code: d for d in Department.objects.all()}
        return DemoOrg(
            company=existing,
            departments=depts,
            stations=[d for d in depts.values() if d.type == DepartmentType.POWER_STATION],
        )
    city = department_create(code="city", name="江城供电公司", type=DepartmentType.COMPANY, area="江城市")
    org = DemoOrg(company=city, departments={"city": city})
    for code, name, dtype in [
        ("city-95598", "95598站", DepartmentType.STATION_95598),
        ("city-marketing", "营销部", DepartmentType.MARKETING),
        ("city-audit", "监审部门", DepartmentType.AUDIT),
        ("city-ccc", "客户服务中心", DepartmentType.CUSTOMER_CENTER),
        ("city-party", "党群工作部", DepartmentType.PARTY_MASS),
    ]:
        org.departments[code] = department_create(code=code, name=name, type=dtype, parent=city)
    for key, name, area, stations in COUNTIES:
        county = department_create(code=key, name=name, type=DepartmentType.COUNTY_COMPANY, parent=city, area=area)
        org.departments[key] = county
        org.departments[f"{key}-marketing"] = department_create(
            code=f"{key}-marketing", name=f"{area}营销部", type=DepartmentType.MARKETING, parent=county
        )
        for i, s in enumerate(stations, start=1):
            st = department_create(code=f"{key}-ps-{i}", name=f"{s}供电所", type=DepartmentType.POWER_STATION, parent=county)
            org.departments[st.code] = st
            org.stations.append(st)
    if with_users:
        user_model = get_user_model()
        for username, dept, role, full_name in DEMO_USERS:
            if not user_model.objects.filter(username=username).exists():
                staff_create(
                    username=username, password=DEMO_PASSWORD, department=org.departments[dept], role=role, full_name=full_name
                )
    return org

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from griddesk.organisation.demo import DEMO_USERS, build_demo_org

_ext = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # PBKDF2's million rounds per demo user would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Build the demo organisation once; each test's transaction rolls back to it.
    (Transactional tests flush it; ``org`` then rebuilds it.)"""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        build_demo_org()


def restore_seed_data() -> None:
    """Put back what data migrations seed. A transactional test (browser,
    concurrency) ends with a flush of every table, and with pytest-xdist a
    later test in the same worker would otherwise find no rules or thresholds.
    Each seeder is idempotent."""
    from importlib import import_module

    from django.apps import apps

    import_module("griddesk.notifications.migrations.0002_seed_thresholds_and_schedule").seed(apps, None)
    import_module("griddesk.assessment.migrations.0002_seed_rules_and_search_index").seed(apps, None)
    import_module("griddesk.assessment.migrations.0004_seed_rollup_schedule").seed(apps, None)
    import_module("griddesk.opinion.migrations.0002_seed_risk_settings_and_schedule").seed(apps, None)
    import_module("griddesk.opinion.migrations.0004_seed_burst_schedule").seed(apps, None)
    import_module("griddesk.notifications.migrations.0004_seed_working_hours_threshold").seed(apps, None)
    import_module("griddesk.satisfaction.defaults").seed(apps, None)
    import_module("griddesk.sla.defaults").seed(apps, None)
    import_module("griddesk.workorders.migrations.0012_workflow_rules").seed(apps, None)
    import_module("griddesk.webhooks.migrations.0002_sweeper_schedule").seed(apps, None)
    import_module("griddesk.center.defaults").seed(apps, None)
    # build_demo_org() seeds the work-order reference data (categories, rules).


@pytest.fixture
def org(db: Any) -> Any:
    restore_seed_data()
    return build_demo_org()


@pytest.fixture
def client_for(org: Any):
    """``client_for("agent")`` → an APIClient authenticated with that demo user's token."""

    clients: dict[str, APIClient] = {}

    def make(username: str) -> APIClient:
        if username not in clients:
            user = get_user_model().objects.get(username=username)
            token, _ = Token.objects.get_or_create(user=user)
            c = APIClient()
            c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            clients[username] = c
        return clients[username]

    return make


def intake_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"95598-{next(_ext):08d}",
        "channel": "95598",
        "type": "complaint",
        "category": "business.tariff",
        "content": "客户反映本月电费比上月高出很多，怀疑电表计量有误，要求核查。",
        "received_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "customer": {
            "account_no": "3300112233",
            "name": "张三",
            "phone": "13812341234",
            "address": "江城市东湖路88号3单元501",
            "category": "residential",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_order(client_for: Any):
    def make(**overrides: Any) -> dict[str, Any]:
        r = client_for("agent").post("/api/v1/work-orders/", intake_payload(**overrides), format="json")
        assert r.status_code == 201, r.content
        return r.json()

    return make


@pytest.fixture
def act(client_for: Any):
    def run(username: str, number: str, action: str, expect: int = 200, **data: Any) -> dict[str, Any]:
        r = client_for(username).post(f"/api/v1/work-orders/{number}/actions/", {"action": action, **data}, format="json")
        assert r.status_code == expect, (r.status_code, r.content.decode())
        return r.json()

    return run


DEMO_USERNAMES = [u[0] for u in DEMO_USERS]

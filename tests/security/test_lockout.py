"""Brute force: wrong passwords and bad tokens lock out (django-axes), an
administrator unlocks, and Django's password validators are on."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

from griddesk.organisation.demo import DEMO_PASSWORD

LOGIN = "/accounts/login/"


def _post_login(client: Client, username: str, password: str, *, ip: str = "10.0.0.1", path: str = LOGIN):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_lock_the_user_out_even_with_the_right_one(org, settings):
    client = Client()
    for attempt in range(1, 5):
        response = _post_login(client, "agent", f"wrong-{attempt}")
        assert response.status_code == 200 and not _logged_in(client)
    fifth = _post_login(client, "agent", "wrong-5")
    assert fifth.status_code == 429
    right = _post_login(client, "agent", DEMO_PASSWORD)
    assert right.status_code == 429
    assert not _logged_in(client)
    page = right.content.decode()
    assert 'id="locked-out"' in page and "登录失败次数过多" in page and "15 分钟" in page
    assert right["Retry-After"] == str(15 * 60)
    # Another user from the same address is not locked by the user's limit.
    assert _post_login(Client(), "manager", DEMO_PASSWORD).status_code == 302
    # Nor the same user from another address.
    other = Client()
    assert _post_login(other, "agent", DEMO_PASSWORD, ip="10.0.0.2").status_code == 302 and _logged_in(other)


def test_a_successful_login_resets_the_users_count(org):
    client = Client()
    for attempt in range(4):
        _post_login(client, "agent", f"wrong-{attempt}")
    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for attempt in range(4):
        assert _post_login(client, "agent", f"again-{attempt}").status_code == 200
    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 302


def test_an_administrator_unlocks_in_the_admin(org):
    client = Client()
    for attempt in range(5):
        _post_login(client, "agent", f"wrong-{attempt}")
    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(get_user_model().objects.get(username="admin"))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "agent" in listing.content.decode()
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="agent").values_list("pk", flat=True)]
    done = admin.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert done.status_code == 302
    assert not AccessAttempt.objects.filter(username="agent").exists()

    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 302 and _logged_in(client)


def test_unlock_command(org):
    from django.core.management import call_command

    client = Client()
    for attempt in range(5):
        _post_login(client, "agent", f"wrong-{attempt}")
    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 429
    call_command("axes_reset_username", "agent")
    assert _post_login(client, "agent", DEMO_PASSWORD).status_code == 302


def test_admin_login_is_protected_too(org):
    client = Client()
    for attempt in range(5):
        _post_login(client, "admin", f"wrong-{attempt}", path="/admin/login/")
    refused = _post_login(client, "admin", DEMO_PASSWORD, path="/admin/login/")
    assert refused.status_code == 429 and not _logged_in(client)


def test_many_users_from_one_address_lock_the_address(org, settings):
    assert settings.GRIDDESK_LOCKOUT_LIMITS == [5, 20]
    client = Client()
    for attempt in range(19):  # at most 4 wrong passwords each for 5 user names: no user's limit reached
        assert _post_login(client, f"user{attempt % 5}", f"wrong-{attempt}", ip="10.9.9.9").status_code == 200
    # Logging in to one's own account doesn't wipe the address's count.
    assert _post_login(Client(), "manager", DEMO_PASSWORD, ip="10.9.9.9").status_code == 302
    assert _post_login(client, "user9", "wrong-19", ip="10.9.9.9").status_code == 429
    assert _post_login(Client(), "manager", DEMO_PASSWORD, ip="10.9.9.9").status_code == 429
    assert _post_login(Client(), "manager", DEMO_PASSWORD, ip="10.9.9.10").status_code == 302


def test_bad_tokens_from_one_address_get_locked_out(org, client_for):
    from rest_framework.test import APIClient

    scanner = APIClient()
    answers = []
    for n in range(21):
        scanner.credentials(HTTP_AUTHORIZATION=f"Token {n:040x}")
        answers.append(scanner.get("/api/v1/work-orders/", REMOTE_ADDR="10.6.6.6"))
    assert [a.status_code for a in answers[:19]] == [401] * 19
    assert answers[19].status_code == 429 and answers[20].status_code == 429
    body = answers[20].json()
    assert body["code"] == "locked_out" and "登录失败次数过多" in body["message"]
    assert answers[20]["Retry-After"] == str(15 * 60)
    # The locked address can't log in with a password either.
    assert _post_login(Client(), "agent", DEMO_PASSWORD, ip="10.6.6.6").status_code == 429
    # Bad tokens from elsewhere are still just wrong; a valid token still works.
    elsewhere = APIClient()
    elsewhere.credentials(HTTP_AUTHORIZATION="Token " + "f" * 40)
    assert elsewhere.get("/api/v1/work-orders/", REMOTE_ADDR="10.6.6.7").status_code == 401
    key = Token.objects.get_or_create(user=get_user_model().objects.get(username="agent"))[0].key
    scanner.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert scanner.get("/api/v1/work-orders/", REMOTE_ADDR="10.6.6.6").status_code == 200


def test_behind_the_proxy_the_forwarded_address_counts(org, settings):
    """With a trusted proxy (production default), X-Forwarded-For's right-most
    entry is the client: a client can't escape its limit by sending its own."""
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    client = Client()
    for attempt in range(5):
        client.post(
            LOGIN, {"username": "agent", "password": f"wrong-{attempt}"},
            REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=f"1.2.3.{attempt}, 203.0.113.5",
        )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    locked = client.post(
        LOGIN, {"username": "agent", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5",
    )
    assert locked.status_code == 429
    other = client.post(
        LOGIN, {"username": "agent", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    assert other.status_code == 302


@pytest.mark.parametrize(
    ("password", "code"),
    [("password123", "password_too_common"), ("83749265104", "password_entirely_numeric"),
     ("agent-agent", "password_too_similar"), ("short1!", "password_too_short")],
)
def test_password_validators(password, code, db):
    user = get_user_model()(username="agent-agent", first_name="Agent")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert code in [e.code for e in refused.value.error_list]


def test_demo_password_passes_the_validators(org):
    for user in get_user_model().objects.all():
        validate_password(DEMO_PASSWORD, user)

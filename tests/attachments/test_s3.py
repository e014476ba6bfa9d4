"""Attachments in S3-compatible object storage: django-storages' S3Storage
against moto's real HTTP server on a loopback port (no client mock)."""

from __future__ import annotations

import hashlib
import io
import socket
from typing import Any

import pytest
from django.db import IntegrityError

from griddesk.attachments import services
from griddesk.attachments.models import Attachment

from . import files

pytestmark = pytest.mark.django_db

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

BUCKET = "griddesk-test"
CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, settings: Any, monkeypatch: Any):
    # The server's own credentials; never the machine's (there are none).
    for k in ("AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(k, raising=False)
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": CREDS["aws_access_key_id"],
                "secret_key": CREDS["aws_secret_access_key"],
                "region_name": CREDS["region_name"],
                "location": "griddesk",
                "file_overwrite": False,
            },
        },
    }
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client: Any) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_upload_stream_back_and_object_in_bucket(make_order, upload, client_for, bucket) -> None:
    n = make_order()["number"]
    data = files.jpeg(taken="2026:12:02 14:00:00", gps=(30.5, 114.3))
    a = upload("agent", n, "现场.jpg", data, stage="station_findings")
    keys = _keys(bucket)
    assert len(keys) == 2 and all(k.startswith(f"griddesk/attachments/{n}/") for k in keys)
    photo = next(k for k in keys if not k.endswith(".thumb.jpg"))
    obj = bucket.get_object(Bucket=BUCKET, Key=photo)
    assert hashlib.sha256(obj["Body"].read()).hexdigest() == a["sha256"]

    r = client_for("agent").get(a["content_url"])
    assert r.status_code == 200 and b"".join(r.streaming_content) == data
    r = client_for("agent").get(a["thumbnail_url"])
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"\xff\xd8"


def test_refused_and_failed_uploads_leave_no_object(make_order, upload, bucket, monkeypatch) -> None:
    n = make_order()["number"]
    assert upload("agent", n, "a.exe.jpg", files.pe(), expect=415)["code"] == "file_executable"
    assert _keys(bucket) == []

    def fail(**kwargs: Any) -> None:
        raise IntegrityError("simulated failure writing the row")

    from django.contrib.auth import get_user_model

    from griddesk.organisation.access import actor_for

    monkeypatch.setattr(Attachment.objects, "create", fail)
    with pytest.raises(IntegrityError):
        services.attachment_upload(
            actor=actor_for(get_user_model().objects.get(username="agent")), number=n,
            file=io.BytesIO(files.jpeg()), filename="a.jpg",
        )
    assert _keys(bucket) == [] and Attachment.objects.count() == 0

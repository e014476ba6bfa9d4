from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Customer, PiiAccess


def pii_access_log(*, user: Any, entries: Iterable[tuple[Customer, str]], via: str, fields: str = "name,phone,address") -> None:
    """Record that ``user`` was shown these customers' personal data unmasked."""
    rows = [PiiAccess(user=user, customer=c, order_number=n, fields=fields, via=via) for c, n in entries]
    if rows:
        PiiAccess.objects.bulk_create(rows)

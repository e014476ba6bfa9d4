"""Masking of personal data for roles that do not need it (138****1234)."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def mask_address(address: str) -> str:
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 3))
    return address[:keep] + "****"


def mask_id_number(id_number: str) -> str:
    if not id_number:
        return ""
    if len(id_number) > 8:
        return f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}"
    return "*" * len(id_number)


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)

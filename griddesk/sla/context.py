"""The text of the "calendar not confirmed" banner. (The template context
processor that shows it to administrators, ``calendar_banner``, asks which
years open orders use: ``workorders.context.sla_banner``.)"""

from __future__ import annotations

from django.utils.translation import gettext as _


def banner_text(years: list[int]) -> str:
    if not years:
        return ""
    return _("The %(year)s holiday calendar is not confirmed") % {"year": "、".join(str(y) for y in years)}

"""Django merges every catalogue into one per language: the project's
(``LOCALE_PATHS``, griddesk/locale) wins over the apps', and among the apps the
one listed first in ``INSTALLED_APPS`` wins — for every page of every app. A
msgid (with its msgctxt) that two catalogues translate differently therefore
shows one app's words on the other app's pages (“Problem solved” came out as
问题已解决 on the return-visit form that asks 问题是否解决). Different meanings
need their own context (pgettext, ``{% translate … context … %}``); the same
meaning gets the same words, once.

The compiled .mo files are what Django reads, so they are what is checked; a
second test makes sure each .mo is its .po compiled."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

import griddesk

PACKAGE = Path(griddesk.__file__).resolve().parent
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.mo"))
CONTEXT_SEP = "\x04"


def _name(mo: Path) -> str:
    return str(mo.relative_to(PACKAGE).parents[2]).removesuffix("/locale") or "."


def _catalogue(path: Path) -> dict[object, str]:
    with path.open("rb") as f:
        cat = dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]
    cat.pop("", None)  # the header
    return cat


def _label(key: object) -> str:
    msgid, plural = (key if isinstance(key, tuple) else (key, None))
    ctxt, _sep, msgid = str(msgid).rpartition(CONTEXT_SEP)
    return (f"[{ctxt}] " if ctxt else "") + repr(msgid) + (f" (plural form {plural})" if plural is not None else "")


def test_the_catalogues_are_found() -> None:
    names = {_name(mo) for mo in CATALOGUES}
    assert "locale" in names and {"satisfaction", "opinion", "assessment", "sla", "notifications"} <= names
    assert PACKAGE / "locale" in {Path(p).resolve() for p in settings.LOCALE_PATHS}


def test_no_msgid_is_translated_two_ways() -> None:
    seen: dict[object, dict[str, str]] = defaultdict(dict)
    for mo in CATALOGUES:
        for key, msgstr in _catalogue(mo).items():
            seen[key][_name(mo)] = msgstr
    clashes = [
        _label(key) + "\n" + "\n".join(f"    {name:14} {msgstr}" for name, msgstr in sorted(by.items()))
        for key, by in seen.items()
        if len(set(by.values())) > 1
    ]
    assert not clashes, (
        f"{len(clashes)} msgids are translated differently in two catalogues; Django shows one of them "
        "everywhere. Give a different meaning its own msgctxt, or use the same words:\n" + "\n".join(sorted(clashes))
    )


def test_every_catalogue_entry_is_what_django_shows() -> None:
    """Also catches a third-party catalogue (django.contrib.admin's 动作 for
    “Action”) that comes before ours in INSTALLED_APPS."""
    wrong = []
    with translation.override("zh-hans"):
        for mo in CATALOGUES:
            for key, msgstr in _catalogue(mo).items():
                msgid, n = (key if isinstance(key, tuple) else (key, None))
                ctxt, _sep, msgid = str(msgid).rpartition(CONTEXT_SEP)
                if n is None:
                    shown = translation.pgettext(ctxt, msgid) if ctxt else translation.gettext(msgid)
                else:  # zh_Hans has one plural form: n=1 picks it
                    shown = (translation.npgettext(ctxt, msgid, msgid, 1) if ctxt
                             else translation.ngettext(msgid, msgid, 1))
                if shown != msgstr:
                    wrong.append(f"{_name(mo)}: {_label(key)} wants {msgstr!r}, Django shows {shown!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("mo", CATALOGUES, ids=_name)
def test_each_mo_is_its_po_compiled(mo: Path, tmp_path: Path) -> None:
    out = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(out), str(mo.with_suffix(".po"))], check=True)
    assert _catalogue(out) == _catalogue(mo), f"run: msgfmt -o {mo} {mo.with_suffix('.po')}"

"""The admin index in the site language: every section and model named in Chinese."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_admin_sections_and_models_are_translated(org):
    c = Client()
    c.force_login(get_user_model().objects.get(username="admin"))
    html = c.get("/admin/").content.decode()
    sections = [re.sub(r"<[^>]+>", "", s).strip() for s in re.findall(r"<caption>(.*?)</caption>", html, re.S)]
    models = [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', html, re.S)]
    assert len(sections) >= 10 and len(models) >= 30
    untranslated = [t for t in sections + models if not CJK.search(t)]
    assert not untranslated, untranslated
    # the header and the page title name the product, not the framework
    assert "GridDesk 管理后台" in html and "规则、基础数据与日志" in html and "Django 管理" not in html

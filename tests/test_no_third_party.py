"""Nothing the product serves points a browser at another origin: no absolute http(s) URL in a
src, href, action, CSS url() or @import of our templates and static files, and the API docs page
loads Swagger UI from our own static files (tests/browser/test_no_third_party.py watches the
requests themselves in a real browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
SERVED = [*sorted((ROOT / "templates").rglob("*.html")), *sorted((ROOT / "static").rglob("*.*"))]
# An absolute or protocol-relative URL where a browser would fetch it or go to it.
FETCHED = re.compile(
    r"""(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']|"""
    r"""\b(?:fetch|import)\(\s*["'`])\s*((?:https?:)?//[^\s"'`)>]+)""",
    re.IGNORECASE,
)


def test_it_checks_the_files_it_should():
    names = {path.relative_to(ROOT).as_posix() for path in SERVED}
    assert {"templates/base.html", "static/css/app.css", "static/js/timeline.js"} <= names


@pytest.mark.parametrize("path", SERVED, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_template_or_static_file_points_at_another_origin(path):
    found = FETCHED.findall(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.relative_to(ROOT)} points at {found}"


def test_it_finds_urls_to_other_origins():
    samples = [
        '<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js">',
        "<link rel=stylesheet href=//fonts.googleapis.com/css>",
        "body { background: url('https://example.com/a.png') }",
        '@import "http://example.com/x.css";',
        'fetch("https://api.example.com/v1")',
    ]
    assert [len(FETCHED.findall(sample)) for sample in samples] == [1] * len(samples)
    assert FETCHED.findall('<a href="/timeline/">') == []
    assert FETCHED.findall('<svg xmlns="http://www.w3.org/2000/svg">') == []


def test_the_api_docs_load_swagger_ui_from_our_static_files(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("docs-reader"))
    html = client.get(reverse("swagger-ui")).content.decode()
    assets = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in assets), assets
    assert all(url.startswith("/") and not url.startswith("//") for url in assets), assets
    assert "cdn.jsdelivr.net" not in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io

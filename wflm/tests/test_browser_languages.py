"""Readers' own languages through a real gunicorn (LANGUAGE_FROM_BROWSER=on) and Chromium:
the page, its cache and the reply form's script speak the browser's language."""

import re
import urllib.request

import pytest
from playwright.sync_api import expect

from posts.demo import load_demo_archive
from wflm.tests.conftest import _server_environment, collect_static, running_gunicorn

FORM_VALUES = re.compile(r'(?<=name="ts" value=")[^"]*|(?<=name="key" value=")[^"]*')

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium_executable")]


@pytest.fixture(scope="module")
def multilingual_server(django_db_setup, tmp_path_factory):
    """gunicorn serving the test database with LANGUAGE_FROM_BROWSER=on."""
    workdir = tmp_path_factory.mktemp("gunicorn-languages")
    env = _server_environment(static_root=workdir / "static") | {"LANGUAGE_FROM_BROWSER": "on"}
    collect_static(env)
    with running_gunicorn(env, workdir / "gunicorn.log") as base_url:
        yield base_url


@pytest.fixture
def demo_url(multilingual_server, transactional_db):
    return multilingual_server + load_demo_archive().get_absolute_url()


def fetch(url, language):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    with opener.open(request, timeout=10) as response:
        return response.read().decode(), response.headers


def test_each_reader_gets_their_language_from_one_server_and_its_caches(demo_url):
    # Twice each, in turns: the second is a cache hit (the page cache, and
    # the process memory in front of Django when it is allowed to answer).
    pages = {}
    for _ in range(2):
        for language in ("fr-FR,fr;q=0.9", "de", "zh-CN,zh-Hans;q=0.9", "ja"):
            html, headers = fetch(demo_url, language)
            # Each worker renders its own copy, with its own signed form values.
            pages.setdefault(language, set()).add(FORM_VALUES.sub("", html))
            assert "Accept-Language" in headers["Vary"]
    assert all(len(versions) == 1 for versions in pages.values())
    assert '<html lang="fr">' in pages["fr-FR,fr;q=0.9"].pop()
    assert '<html lang="de">' in pages["de"].pop()
    assert "发表回复" in pages["zh-CN,zh-Hans;q=0.9"].pop()
    assert "Leave a Reply" in pages["ja"].pop()  # not shipped: LANGUAGE_CODE


def test_the_reply_form_script_speaks_the_page_language(browser, demo_url):
    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        page.goto(demo_url)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.locator(".comment-reply-link").nth(5).click()
        expect(page.locator("#reply-title")).to_have_text("Répondre à poetichigh")
        page.get_by_role("link", name="Annuler la réponse").click()
        expect(page.locator("#reply-title")).to_have_text("Laisser une réponse")
        page.locator("#id_body").fill("x" * 10_002)
        help_text = page.locator("#id_body_helptext")
        expect(help_text).to_contain_text("de trop")
        # Numbers as French writes them (the browser's), the sentence from the French catalogue.
        assert help_text.text_content() == "10\u202f002 sur 10\u202f000 caractères\u00a0: 2 de trop"
    finally:
        context.close()

"""The account page in a real browser: a token shown once, revoked; all data downloaded, then
erased after typing the username."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from chunks.models import Chunk
from tests.browser.conftest import log_in
from utterances.models import Utterance


def test_it_makes_a_token_shown_once_and_revokes_it(page, owner, screenshot):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, owner, next_url="/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text("You have no token yet.")).to_be_visible()
    page.get_by_role("button", name="Create a token").click()
    shown = page.get_by_label("New API token")
    expect(shown).to_be_visible()
    assert shown.input_value() == Token.objects.get(user=owner).key
    screenshot(page, "account")

    page.goto("/account/")
    expect(page.get_by_label("New API token")).to_have_count(0)
    expect(page.get_by_text("You have a token, created")).to_be_visible()
    assert Token.objects.get(user=owner).key not in page.content()

    page.get_by_role("button", name="Revoke the token").click()
    expect(page.locator("#messages")).to_contain_text("Your API token is revoked")
    assert not Token.objects.filter(user=owner).exists()


def test_a_reload_after_a_new_token_keeps_that_token(page, owner):
    """Post/redirect/get: reloading the page that shows a new token sends no form again."""
    old = Token.objects.create(user=owner)
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    log_in(page, owner, next_url="/account/")
    expect(page.locator("#token-warning")).to_contain_text("devices using the old token will stop uploading")
    page.get_by_role("button", name="Make a new token").click()
    expect(page.get_by_label("New API token")).to_be_visible()
    assert dialogs and "devices using the old token will stop uploading" in dialogs[0]
    new = Token.objects.get(user=owner)
    assert new.key != old.key and page.get_by_label("New API token").input_value() == new.key
    assert page.url.endswith("/account/#token")

    page.reload()
    expect(page.get_by_text("You have a token, created")).to_be_visible()
    expect(page.get_by_label("New API token")).to_have_count(0)
    assert Token.objects.get(user=owner).key == new.key  # the reload made no new token
    assert len(dialogs) == 1  # and the browser had no form to send again


def test_it_asks_before_a_new_token_replaces_the_old_one(page, owner):
    old = Token.objects.create(user=owner)
    page.on("dialog", lambda dialog: dialog.dismiss())
    log_in(page, owner, next_url="/account/")
    page.get_by_role("button", name="Make a new token").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text("You have a token, created")).to_be_visible()
    assert Token.objects.get(user=owner).key == old.key


def test_the_copy_button_copies_the_new_token(page, owner, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, owner, next_url="/account/")
    page.get_by_role("button", name="Create a token").click()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    expect(page.locator("#copy-status")).to_have_text("The token is copied to your clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == Token.objects.get(user=owner).key


def test_it_downloads_then_erases_all_data(page, owner, screenshot):
    log_in(page, owner, next_url="/account/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all my data").click()
    download = download_info.value
    assert re.fullmatch(r"selective-speaker-alex-\d{8}-\d{6}\.json", download.suggested_filename)
    data = json.loads(open(download.path(), encoding="utf-8").read())
    assert len(data["segments"]) == 8 and data["user"]["username"] == "alex"

    page.get_by_role("link", name="Erase all my data…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase all your data?")
    confirm = page.get_by_label("Type your username, alex, to confirm")
    confirm.fill("alex?")
    page.get_by_role("button", name="Erase everything").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not your username")
    assert Utterance.objects.filter(user=owner).count() == 8
    screenshot(page, "account-erase")

    page.get_by_label("Type your username, alex, to confirm").fill("alex")
    page.get_by_role("button", name="Erase everything").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data is erased")
    expect(page.get_by_role("row", name="Utterances 8")).to_be_visible()
    expect(page.get_by_role("row", name="Recordings 8")).to_be_visible()
    screenshot(page, "account-erased")
    assert not Utterance.objects.filter(user=owner).exists() and not Chunk.objects.filter(user=owner).exists()


def test_the_voice_and_account_pages_fit_a_phone(phone_page, owner, screenshot):
    page = phone_page
    log_in(page, owner, next_url="/enroll/")
    for path, name in (("/enroll/", "enrollment-phone"), ("/account/", "account-phone"), ("/account/erase/", None)):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path  # no sideways scrolling
        if name:
            screenshot(page, name, full_page=False)

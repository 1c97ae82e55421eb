"""The same reply form sent twice (double click, a retried POST) is stored once."""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from comments.models import Comment
from conftest import make_comment, make_form_timestamp, make_post


def form_of(client, post):
    html = client.get(post.get_absolute_url()).content.decode()
    return {name: re.search(rf'name="{name}" value="([^"]*)"', html)[1] for name in ("key",)}


def reply(client, post, form, **changes):
    data = {
        "name": "Ada",
        "email": "ada@example.com",
        "body": "Lovely record.",
        "ts": make_form_timestamp(),
        **form,
        **changes,
    }
    return client.post(post.get_absolute_url(), data)


@pytest.fixture
def open_rules(settings):
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False


@pytest.mark.django_db
def test_a_reader_who_starts_writing_gets_a_key_of_their_own(client, post):
    # The cached page is the same bytes for everyone: its key is the render's.
    first, second = form_of(client, post)["key"], form_of(client, post)["key"]
    assert first == second and len(first) >= 16
    # static/js/comment-form.js asks for the reader's own values.
    asked = [client.get("/comments/form-values/") for _ in range(2)]
    keys = {response.json()["key"] for response in asked}
    assert len(keys) == 2 and first not in keys
    assert all(response["Cache-Control"].startswith("max-age=0") for response in asked)


@pytest.mark.django_db
def test_two_readers_sending_the_same_pages_key_are_two_replies(post, open_rules, settings):
    settings.COMMENTS_FLOOD_SECONDS = 0
    form = form_of(Client(), post)
    reply(Client(), post, form, name="Ada", email="ada@example.com", body="Lovely record.")
    # (The very same text twice would be refused as a duplicate, whoever sends it.)
    reply(Client(), post, form, name="Bob", email="bob@example.com", body="Lovely record!")
    assert Comment.objects.filter(post=post).count() == 2


@pytest.mark.django_db
def test_a_form_sent_twice_is_stored_once_and_both_answers_lead_to_it(client, post, open_rules):
    form = form_of(client, post)
    first = reply(client, post, form)
    second = reply(client, post, form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Comment.objects.filter(post=post).count() == 1


@pytest.mark.django_db
def test_a_held_reply_sent_twice_still_shows_as_awaiting_moderation(client, post):
    form = form_of(client, post)
    reply(client, post, form)
    second = reply(client, post, form)
    assert second.status_code == 302 and "wflm_pending" in second.cookies
    assert Comment.objects.get().status == "pending"


@pytest.mark.django_db
def test_another_text_from_the_same_page_is_a_new_reply(client, post, open_rules, settings):
    settings.COMMENTS_FLOOD_SECONDS = 0
    form = form_of(client, post)
    reply(client, post, form)
    reply(client, post, form, body="And another thought.")
    assert sorted(Comment.objects.values_list("body", flat=True)) == [
        "And another thought.",
        "Lovely record.",
    ]


@pytest.mark.django_db
def test_the_same_text_as_a_reply_elsewhere_is_not_taken_for_the_first(client, post, open_rules, settings):
    settings.COMMENTS_FLOOD_SECONDS = 0
    parent = make_comment(post)
    form = form_of(client, post)
    reply(client, post, form)
    # Not "already stored" (that was a top-level reply): WordPress's duplicate rule answers.
    response = reply(client, post, form, parent=parent.pk)
    assert response.status_code == 409
    assert "Lovely record." in response.content.decode()  # the text comes back


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "short", "x" * 65, "no spaces allowed here!", "\u00e9" * 20])
def test_a_missing_or_odd_key_still_takes_the_reply(client, post, open_rules, key):
    form = form_of(client, post) | {"key": key}
    assert reply(client, post, form).status_code == 302
    assert Comment.objects.filter(body="Lovely record.").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_copies_sent_at_the_same_moment_are_stored_once(settings):
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False
    post = make_post()
    form = form_of(Client(), post)
    statuses, barrier = [], threading.Barrier(4)

    def send():
        try:
            barrier.wait()
            statuses.append(reply(Client(), post, form).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 4
    assert Comment.objects.filter(post=post).count() == 1

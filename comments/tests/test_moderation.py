"""One test per moderation rule and per decision, through the form and through the page."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.db import transaction
from django.test import Client
from django.utils import timezone

from comments import cookies, moderation
from comments.forms import CommentForm
from comments.models import Comment
from conftest import make_comment, make_form_timestamp, make_post

pytestmark = pytest.mark.django_db

IP = "192.0.2.7"
VALID = {"name": "Ada", "email": "ada@example.com", "url": "", "body": "Lovely record.", "parent": ""}


def submit(post, ip=IP, **changes):
    """(form, saved comment or None), validated and saved in one transaction as the view does."""
    data = VALID | {"ts": make_form_timestamp()} | changes
    form = CommentForm(post, data=data, ip_address=ip, user_agent="pytest agent")
    with transaction.atomic():
        comment = form.save() if form.is_valid() else None
    return form, comment


def known_author(post, email="ada@example.com"):
    """An approved comment by email, old enough not to trip flood control."""
    return make_comment(
        post, email=email, body="An earlier word.", created_at=timezone.now() - timedelta(days=3)
    )


def refusal(form):
    assert not form.is_valid()
    return " ".join(form.non_field_errors())


# --- Approve or hold: "Comment author must have a previously approved comment" ---------------


def test_a_known_author_is_approved_and_the_rule_recorded(post):
    known_author(post)
    _form, comment = submit(post)
    assert comment.status == Comment.Status.APPROVED
    assert comment.moderation_rule == Comment.Rule.KNOWN_AUTHOR
    assert abs((timezone.now() - comment.decided_at).total_seconds()) < 60


def test_a_first_time_author_is_held(post):
    _form, comment = submit(post)
    assert comment.status == Comment.Status.PENDING
    assert comment.moderation_rule == Comment.Rule.FIRST_TIME_AUTHOR
    assert Comment.objects.filter(pk=comment.pk).exists()  # stored, never dropped


def test_a_known_email_matches_whatever_its_case(post):
    known_author(post, email="Ada@Example.COM")
    assert submit(post)[1].status == Comment.Status.APPROVED


@pytest.mark.parametrize("status", ["pending", "spam", "removed"])
def test_only_an_approved_comment_makes_an_author_known(post, status):
    make_comment(post, status=status, body="Earlier.", created_at=timezone.now() - timedelta(days=3))
    assert submit(post)[1].status == Comment.Status.PENDING


def test_with_the_rule_off_first_time_authors_are_approved(post, settings):
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False
    _form, comment = submit(post)
    assert (comment.status, comment.moderation_rule) == ("approved", Comment.Rule.NO_RULE)


def test_manual_approval_holds_even_known_authors(post, settings):
    settings.COMMENTS_MANUAL_APPROVAL = True
    known_author(post)
    _form, comment = submit(post)
    assert (comment.status, comment.moderation_rule) == ("pending", Comment.Rule.MANUAL_APPROVAL)


# --- Hold: links and moderation words -------------------------------------------------------------


def test_more_than_two_links_are_held(post):
    known_author(post)
    body = "See https://a.example/ and http://b.example/ and HTTPS://c.example/"
    _form, comment = submit(post, body=body)
    assert (comment.status, comment.moderation_rule) == ("pending", Comment.Rule.MAX_LINKS)
    assert comment.moderation_note == "3 links (more than 2)"


def test_two_links_are_fine(post):
    known_author(post)
    _form, comment = submit(post, body="See https://a.example/ and http://b.example/")
    assert comment.status == Comment.Status.APPROVED


def test_the_link_limit_is_a_setting(post, settings):
    settings.COMMENTS_MAX_LINKS = 0
    known_author(post)
    assert submit(post, body="Only https://a.example/")[1].moderation_rule == Comment.Rule.MAX_LINKS


@pytest.mark.parametrize(
    ("changes", "ip"),
    [({"body": "Buy CHEAP watches"}, IP), ({"name": "cheap Ada"}, IP), ({}, "203.0.113.9")],
)
def test_moderation_words_hold(post, settings, changes, ip):
    settings.COMMENTS_MODERATION_KEYS = ["cheap", "203.0.113.9"]
    known_author(post)
    _form, comment = submit(post, ip=ip, **changes)
    assert (comment.status, comment.moderation_rule) == ("pending", Comment.Rule.MODERATION_KEYS)


# --- Spam: disallowed keys, honeypot, too fast ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "ip", "key"),
    [
        ({"body": "Best VIAGRA deals"}, IP, "viagra"),
        ({"email": "bot@spam.example"}, IP, "bot@spam.example"),
        ({"url": "https://casino.example/"}, IP, "casino"),
        ({}, "198.51.100.66", "198.51.100.66"),
    ],
)
def test_disallowed_words_ips_and_emails_are_spam(post, settings, changes, ip, key):
    settings.COMMENTS_DISALLOWED_KEYS = ["viagra", "bot@spam.example", "casino", "198.51.100.66"]
    known_author(post)
    _form, comment = submit(post, ip=ip, **changes)
    assert (comment.status, comment.moderation_rule) == ("spam", Comment.Rule.DISALLOWED_KEYS)
    assert key in comment.moderation_note


def test_disallowed_beats_moderation_words(post, settings):
    settings.COMMENTS_DISALLOWED_KEYS = ["viagra"]
    settings.COMMENTS_MODERATION_KEYS = ["viagra"]
    assert submit(post, body="viagra")[1].status == Comment.Status.SPAM


def test_a_filled_honeypot_is_spam_and_stored(post):
    known_author(post)
    _form, comment = submit(post, **{moderation.HONEYPOT_FIELD: "Buy now"})
    assert (comment.status, comment.moderation_rule) == ("spam", Comment.Rule.HONEYPOT)


def test_sent_within_three_seconds_of_the_page_is_spam(post):
    known_author(post)
    _form, comment = submit(post, ts=make_form_timestamp(seconds_ago=1))
    assert (comment.status, comment.moderation_rule) == ("spam", Comment.Rule.TOO_FAST)


def test_sent_after_three_seconds_is_fine(post):
    known_author(post)
    assert submit(post, ts=make_form_timestamp(seconds_ago=3.5))[1].status == Comment.Status.APPROVED


# --- Refused: the form timestamp -------------------------------------------------------------------


def forged_timestamps():
    genuine = moderation.form_timestamp(at=time.time() - 60)
    value, signature = genuine.split(":")
    return [
        "",
        "garbage",
        f"{int(value) - 100_000}:{signature}",  # older time, old signature
        signing.Signer().sign(value),  # signed, but not by the form
        genuine + "x",
    ]


@pytest.mark.parametrize("ts", forged_timestamps())
def test_a_missing_or_tampered_timestamp_is_refused_with_a_fresh_one(post, ts):
    form, comment = submit(post, ts=ts)
    assert comment is None and not Comment.objects.exists()
    assert "please submit again" in refusal(form)
    assert form["body"].value() == "Lovely record."
    # The form comes back re-signed, so sending it again (a bit later) works.
    assert moderation.form_age(form["ts"].value()) < 5


def test_a_form_older_than_a_day_is_refused(post):
    form, comment = submit(post, ts=make_form_timestamp(seconds_ago=24 * 60 * 60 + 5))
    assert comment is None
    assert "too old" in refusal(form)


def test_the_form_age_limit_is_a_setting(post, settings):
    settings.COMMENTS_FORM_MAX_AGE_SECONDS = 30
    assert submit(post, ts=make_form_timestamp(seconds_ago=60))[1] is None


# --- Refused: flood control and duplicates -----------------------------------------------------------


def test_a_second_comment_from_one_ip_within_15_seconds_is_refused(post):
    make_comment(post, email="other@example.com", ip_address=IP)
    form, comment = submit(post)
    assert comment is None
    assert "too quickly" in refusal(form) and form.refusal_status == 429
    # Another address may post.
    assert submit(post, ip="192.0.2.8")[1] is not None


def test_after_15_seconds_the_same_ip_may_post_again(post):
    make_comment(post, ip_address=IP, body="Earlier", created_at=timezone.now() - timedelta(seconds=16))
    assert submit(post)[1] is not None


def test_no_more_than_10_comments_an_hour_from_one_ip(post):
    for minutes in range(1, 11):
        make_comment(
            post, ip_address=IP, body=f"n{minutes}", created_at=timezone.now() - timedelta(minutes=minutes)
        )
    form, comment = submit(post)
    assert comment is None and form.refusal_status == 429
    assert "10 comments in the last hour" in refusal(form)


def test_comments_older_than_an_hour_do_not_count(post):
    for minutes in range(1, 10):
        make_comment(
            post, ip_address=IP, body=f"n{minutes}", created_at=timezone.now() - timedelta(minutes=minutes)
        )
    make_comment(post, ip_address=IP, body="old", created_at=timezone.now() - timedelta(minutes=61))
    assert submit(post)[1] is not None


def test_flood_limits_are_settings(post, settings):
    settings.COMMENTS_FLOOD_SECONDS = 0
    settings.COMMENTS_MAX_PER_HOUR = 0
    for seconds in range(12):
        make_comment(
            post, ip_address=IP, body=f"n{seconds}", created_at=timezone.now() - timedelta(seconds=seconds)
        )
    assert submit(post)[1] is not None


@pytest.mark.parametrize(("email", "ip"), [("ADA@example.com", "192.0.2.99"), ("someone@example.com", IP)])
def test_the_same_text_by_the_same_email_or_ip_is_a_duplicate(post, email, ip):
    make_comment(
        post,
        email=email,
        ip_address=ip,
        body="Lovely record.",
        created_at=timezone.now() - timedelta(hours=2),
    )
    form, comment = submit(post)
    assert comment is None and form.refusal_status == 409
    assert refusal(form) == "Duplicate comment detected; it looks as though you've already said that!"


def test_the_same_text_elsewhere_or_after_removal_is_no_duplicate(post):
    old = timezone.now() - timedelta(hours=2)
    make_comment(make_post(), body="Lovely record.", ip_address=IP, created_at=old)
    make_comment(post, body="Lovely record.", ip_address=IP, status="removed", created_at=old)
    assert submit(post)[1] is not None


# --- Closed posts ----------------------------------------------------------------------------------------


def test_comments_close_on_old_posts_when_that_is_on(settings):
    settings.COMMENTS_CLOSE_OLD_POSTS = True
    settings.COMMENTS_CLOSE_AFTER_DAYS = 14
    old = make_post(published_at=timezone.now() - timedelta(days=15))
    recent = make_post(published_at=timezone.now() - timedelta(days=13))
    form, comment = submit(old)
    assert comment is None and form.refusal_status == 403 and "closed" in refusal(form)
    assert submit(recent)[1] is not None


def test_old_posts_stay_open_by_default():
    old = make_post(published_at=timezone.now() - timedelta(days=5000))
    assert submit(old)[1] is not None


# --- The commenter's view -------------------------------------------------------------------------------


def post_reply(client, post, ip=IP, **changes):
    data = VALID | {"ts": make_form_timestamp()} | changes
    return client.post(post.get_absolute_url(), data, REMOTE_ADDR=ip)


def test_a_held_comment_shows_to_its_author_only_and_is_not_counted(client, post):
    make_comment(post, name="Known", email="known@example.com", ip_address="192.0.2.1")

    response = post_reply(client, post, body="My first words here.")

    comment = Comment.objects.get(body="My first words here.")
    assert comment.status == "pending"
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert cookies.PENDING_COOKIE in response.cookies
    html = client.get(response["Location"]).content.decode()
    assert "My first words here." in html
    assert "Your comment is awaiting moderation." in html
    assert "1 Response so far" in html  # the held one does not count
    stranger = Client().get(post.get_absolute_url()).content.decode()
    assert "My first words here." not in stranger and "awaiting moderation" not in stranger


def test_an_approved_comment_shows_to_everyone_at_once(client, post):
    known_author(post)
    response = post_reply(client, post, body="Approved at once.")
    assert cookies.PENDING_COOKIE not in response.cookies
    html = Client().get(post.get_absolute_url()).content.decode()
    assert "Approved at once." in html and "2 Responses so far" in html
    assert "awaiting moderation" not in html


def test_a_spam_comment_looks_held_to_whoever_sent_it(client, post):
    post_reply(client, post, **{moderation.HONEYPOT_FIELD: "http://spam.example/"})
    assert Comment.objects.get().status == "spam"
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Your comment is awaiting moderation." in html
    assert "Lovely record." not in Client().get(post.get_absolute_url()).content.decode()


def pending_cookie_value(ids, salt="comments.cookies.pending"):
    return signing.dumps(ids, salt=salt, compress=True)


@pytest.mark.parametrize(
    "value",
    [
        "not-signed",
        pending_cookie_value([1]).replace(":", ";", 1),
        "WzFd:1tQ:tampered",  # [1] with a made-up signature
        None,  # placeholder: signed for another purpose (below)
    ],
)
def test_a_forged_pending_cookie_shows_nothing(client, post, value):
    held = make_comment(post, status="pending", body="Somebody else's held comment.")
    client.cookies[cookies.PENDING_COOKIE] = value or pending_cookie_value([held.pk], salt="another.salt")
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Somebody else's held comment." not in html


def test_an_expired_pending_cookie_shows_nothing(client, post, settings):
    held = make_comment(post, status="pending", body="My held comment.")
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 24 * 3600):
        value = pending_cookie_value([held.pk])
    client.cookies[cookies.PENDING_COOKIE] = value
    assert "My held comment." not in client.get(post.get_absolute_url()).content.decode()
    client.cookies[cookies.PENDING_COOKIE] = pending_cookie_value([held.pk])
    assert "My held comment." in client.get(post.get_absolute_url()).content.decode()


def test_refusals_keep_the_text_and_say_why(client, post):
    make_comment(post, email="other@example.com", ip_address=IP, body="Just now.")

    flooded = post_reply(client, post, body="Flooded words.")
    assert flooded.status_code == 429 and flooded["Retry-After"] == "15"
    assert (
        "too quickly" in flooded.content.decode() and "Flooded words.</textarea>" in flooded.content.decode()
    )

    expired = post_reply(client, post, body="Expired words.", ts="bogus")
    html = expired.content.decode()
    assert (
        expired.status_code == 400 and "please submit again" in html and "Expired words.</textarea>" in html
    )
    fresh = re.search(r'name="ts" value="([^"]+)"', html)[1]
    assert 0 <= moderation.form_age(fresh) < 5

    duplicate = post_reply(client, post, ip="192.0.2.200", body="Just now.", email="other@example.com")
    assert duplicate.status_code == 409 and "already said that" in duplicate.content.decode()
    assert Comment.objects.count() == 1


def test_the_form_carries_a_fresh_timestamp_and_a_hidden_honeypot(client, post):
    html = client.get(post.get_absolute_url()).content.decode()
    assert 0 <= moderation.form_age(re.search(r'name="ts" value="([^"]+)"', html)[1]) < 5
    honeypot = re.search(r'<p class="comment-form-subject" aria-hidden="true">.*?</p>', html, re.S)[0]
    assert 'name="subject"' in honeypot and 'tabindex="-1"' in honeypot and 'autocomplete="off"' in honeypot


@pytest.mark.parametrize(
    "changes",
    [
        {"ts": "x" * 5000},
        {"ts": "\x00"},
        {"ts": "99999999999999999999999999:abc"},
        {moderation.HONEYPOT_FIELD: "x" * 100_000},
        {"remember": "maybe", "notify_replies": ["1", "2"]},
    ],
)
def test_nonsense_never_fails_the_request(client, post, changes):
    response = post_reply(client, post, **changes)
    assert response.status_code in (302, 400)


# --- Remember me --------------------------------------------------------------------------------------------


def test_details_are_remembered_only_with_consent(client, post):
    response = post_reply(client, post, body="No consent.")
    assert cookies.COMMENTER_COOKIE not in response.cookies
    assert 'value="Ada"' not in Client().get(post.get_absolute_url()).content.decode()


def test_remembered_details_prefill_the_form(client, post):
    response = post_reply(client, post, body="Consent given.", url="https://ada.example/", remember="on")
    assert response.cookies[cookies.COMMENTER_COOKIE]["httponly"]
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'name="name" value="Ada"' in html
    assert 'name="email" value="ada@example.com"' in html
    assert 'value="https://ada.example/"' in html
    assert re.search(r'<input type="checkbox" name="remember"[^>]* checked', html)


def test_unticking_remember_forgets_the_details(client, post):
    client.cookies[cookies.COMMENTER_COOKIE] = signing.dumps(
        {"name": "Ada", "email": "ada@example.com", "url": ""}, salt="comments.cookies.commenter"
    )
    response = post_reply(client, post, body="Forget me.")
    assert response.cookies[cookies.COMMENTER_COOKIE].value == ""
    assert response.cookies[cookies.COMMENTER_COOKIE]["max-age"] == 0


@pytest.mark.parametrize("salt", ["comments.cookies.commenter", "wrong.salt"])
def test_a_forged_or_expired_remember_cookie_prefills_nothing(client, post, salt):
    details = {"name": "Mallory", "email": "m@example.com", "url": ""}
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 366 * 24 * 3600):
        client.cookies[cookies.COMMENTER_COOKIE] = signing.dumps(details, salt=salt)
    assert "Mallory" not in client.get(post.get_absolute_url()).content.decode()
    client.cookies[cookies.COMMENTER_COOKIE] = signing.dumps(details, salt=salt) + "0"
    assert "Mallory" not in client.get(post.get_absolute_url()).content.decode()


def test_notify_me_is_stored(client, post):
    post_reply(client, post, notify_replies="on")
    assert Comment.objects.get().notify_replies is True


def test_a_flood_refusal_costs_no_thread_render(client, post):
    # A burst of POSTs from one address: each refusal answers with the
    # reader's form on its own page, not the whole thread.
    for number in range(30):
        make_comment(post, email="other@example.com", body=f"Comment {number}.")
    make_comment(post, email="other@example.com", ip_address=IP, body="Just now.")
    page = post_reply(client, post, body="Flooded words.")
    html = page.content.decode()
    assert page.status_code == 429 and "Comment 12." not in html
    assert 'name="key"' in html and 'name="ts"' in html and "Flooded words.</textarea>" in html
    assert page["Cache-Control"].startswith("max-age=0")

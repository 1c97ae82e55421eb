"""The admin login is throttled (django-axes): by username and address together."""

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def moderator(django_user_model):
    return django_user_model.objects.create_superuser("moderator", "mod@example.com", "right-password")


def attempt(password, address="203.0.113.5", username="moderator"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return response, client


def signed_in(client):
    return client.get("/admin/").status_code == 200


def test_the_right_password_is_refused_after_too_many_wrong_ones(moderator, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(20):
        response, _ = attempt("wrong")
        assert response.status_code in (200, 429)
    response, client = attempt("right-password")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not signed_in(client)


def test_fewer_failures_than_the_limit_still_sign_in(moderator):
    for _ in range(4):
        assert attempt("wrong")[0].status_code == 200  # the form again, "Please enter the correct..."
    response, client = attempt("right-password")
    assert response.status_code == 302 and signed_in(client)
    # A success resets the count.
    assert not AccessAttempt.objects.filter(username="moderator").exists()


def test_the_lockout_is_per_username_and_address(moderator, django_user_model):
    django_user_model.objects.create_superuser("editor", "ed@example.com", "editor-password")
    for _ in range(5):
        attempt("wrong")
    assert attempt("right-password")[0].status_code == 429
    # The same user from another address, another user from the same one.
    assert attempt("right-password", address="198.51.100.7")[0].status_code == 302
    assert attempt("editor-password", username="editor")[0].status_code == 302


def test_the_lockout_ends_after_the_cool_off(moderator, settings):
    for _ in range(5):
        attempt("wrong")
    assert attempt("right-password")[0].status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME * 2)
    assert attempt("right-password")[0].status_code == 302


def test_x_forwarded_for_cannot_dodge_the_lockout(moderator):
    # Without BEHIND_PROXY the header is the client's word, not its address.
    for number in range(6):
        Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}").post(
            LOGIN, {"username": "moderator", "password": "wrong"}
        )
    response = Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.9.9.9").post(
        LOGIN, {"username": "moderator", "password": "right-password"}
    )
    assert response.status_code == 429

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment, make_post
from posts.models import Post, parse_title

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Miles Davis - Ascenseur pour l'echafaud (1958)",
            ("Miles Davis", "Ascenseur pour l'echafaud", 1958),
        ),
        ("Can – Tago Mago (1971)", ("Can", "Tago Mago", 1971)),
        ("Talk Talk - Laughing Stock", ("Talk Talk", "Laughing Stock", None)),
        ("Hello, World…", ("", "", None)),
    ],
)
def test_parse_title(title, expected):
    assert parse_title(title) == expected


def test_slug_keeps_non_ascii_letters_and_is_unique():
    first = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    second = make_post(title="Miles Davis - Ascenseur pour l'échafaud (1958)")
    assert first.slug == "miles-davis-ascenseur-pour-léchafaud-1958"
    assert second.slug == "miles-davis-ascenseur-pour-léchafaud-1958-2"
    assert (first.artist, first.album, first.year) == ("Miles Davis", "Ascenseur pour l'échafaud", 1958)


def test_absolute_url_is_dated_and_percent_encoded():
    post = make_post(title="échafaud", published_at=datetime(2009, 5, 12, tzinfo=UTC))
    assert post.get_absolute_url() == "/2009/05/%C3%A9chafaud/"


def test_body_html_is_sanitised():
    post = make_post(body='<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:x">a</a></p>')
    assert post.body_html == '<p>Hi <a rel="nofollow noopener">a</a></p>'


def test_excerpt_falls_back_to_body_text():
    post = make_post(body="<p>Tom &amp; Jerry <b>live</b></p>", excerpt="")
    assert post.excerpt_text == "Tom & Jerry live"


def test_response_count_follows_every_write():
    post = make_post()
    approved = make_comment(post)
    held = make_comment(post, status="pending")
    make_comment(post, status="spam")
    make_comment(post, kind="pingback")
    assert Post.objects.get(pk=post.pk).response_count == 1

    Comment.objects.filter(pk=held.pk).update(status="approved")
    assert Post.objects.get(pk=post.pk).response_count == 2
    Comment.objects.filter(pk=approved.pk).update(status="removed")
    assert Post.objects.get(pk=post.pk).response_count == 1
    Comment.objects.filter(post=post).delete()
    assert Post.objects.get(pk=post.pk).response_count == 0


def test_response_counts_of_many_posts_in_one_statement():
    posts = [make_post(), make_post()]
    Comment.objects.bulk_create(
        [Comment(post=post, name="x", body="y", status="approved") for post in posts for _ in range(3)]
    )
    assert [p.response_count for p in Post.objects.filter(pk__in=[p.pk for p in posts]).order_by("pk")] == [
        3,
        3,
    ]


def test_published_hides_future_posts():
    make_post(published_at=timezone.now() + timezone.timedelta(days=1))
    assert not Post.objects.published().exists()

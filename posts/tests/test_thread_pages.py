"""Big threads: pages of top-level comments, stable permalinks, deep chains."""

import re
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db


def ids_on(html):
    return [int(pk) for pk in re.findall(r'<li id="comment-(\d+)"', html)]


def numbers_on(html):
    return [int(n) for n in re.findall(r'comment-number">(\d+)\.', html)]


@pytest.fixture
def paged_thread(settings):
    """5 top-level comments, 2 to a page; each of the first three has a reply."""
    settings.COMMENTS_PER_PAGE = 2
    post = make_post()
    roots = [make_comment(post, name=f"root {n}") for n in range(5)]
    replies = [make_comment(post, parent=root, name=f"reply to {n}") for n, root in enumerate(roots[:3])]
    return post, roots, replies


def test_a_page_holds_top_level_comments_with_all_their_replies(client, paged_thread):
    post, roots, replies = paged_thread

    first = client.get(post.get_absolute_url()).content.decode()
    second = client.get(f"{post.get_absolute_url()}comment-page-2/").content.decode()
    third = client.get(f"{post.get_absolute_url()}comment-page-3/").content.decode()

    assert ids_on(first) == [roots[0].pk, replies[0].pk, roots[1].pk, replies[1].pk]
    assert ids_on(second) == [roots[2].pk, replies[2].pk, roots[3].pk]
    assert ids_on(third) == [roots[4].pk]
    # Numbering runs on across pages; the count is the whole thread's.
    assert numbers_on(second) == [5, 6, 7] and numbers_on(third) == [8]
    assert "8 Responses so far" in third


def test_page_links_use_rel_next_and_prev(client, paged_thread):
    post, _, _ = paged_thread
    url = post.get_absolute_url()
    first = client.get(url).content.decode()
    second = client.get(f"{url}comment-page-2/").content.decode()

    assert f'<link rel="next" href="{url}comment-page-2/">' in first and 'rel="prev"' not in first
    assert f'<link rel="prev" href="{url}">' in second
    assert f'<link rel="next" href="{url}comment-page-3/">' in second
    assert f'rel="next" href="{url}comment-page-3/#comments">Newer Comments' in second
    assert f'<link rel="canonical" href="http://testserver{url}comment-page-2/">' in second


def test_newest_first_opens_on_the_last_page(client, paged_thread, settings):
    settings.COMMENTS_FIRST_PAGE = "newest"
    post, roots, _ = paged_thread
    url = post.get_absolute_url()

    assert ids_on(client.get(url).content.decode()) == [roots[4].pk]
    first = client.get(f"{url}comment-page-1/").content.decode()
    assert ids_on(first)[0] == roots[0].pk
    assert f'<link rel="next" href="{url}comment-page-2/">' in first
    last = client.get(f"{url}comment-page-2/").content.decode()
    assert f'<link rel="next" href="{url}">' in last


@pytest.mark.parametrize(
    "suffix", ["comment-page-4/", "comment-page-0/", "comment-page-9999999/", "comment-page-x/"]
)
def test_a_page_that_does_not_exist_is_404(client, paged_thread, suffix):
    post, _, _ = paged_thread
    assert client.get(post.get_absolute_url() + suffix).status_code == 404


def test_unpaginated_threads_have_one_page(client, settings, post):
    settings.COMMENTS_PER_PAGE = 0
    for _ in range(60):
        make_comment(post)
    assert len(ids_on(client.get(post.get_absolute_url()).content.decode())) == 60
    assert client.get(f"{post.get_absolute_url()}comment-page-2/").status_code == 404


def test_comment_permalink_redirects_to_its_page_and_anchor(client, paged_thread, django_assert_num_queries):
    post, roots, replies = paged_thread
    # 1. the comment with its post, 2. how many top-level comments come before its own
    with django_assert_num_queries(2):
        response = client.get(f"/comments/{replies[2].pk}/")
    assert response.status_code == 301
    assert response["Location"] == f"{post.get_absolute_url()}comment-page-2/#comment-{replies[2].pk}"
    assert (
        client.get(f"/comments/{roots[0].pk}/")["Location"]
        == f"{post.get_absolute_url()}#comment-{roots[0].pk}"
    )


@pytest.mark.parametrize("status", ["pending", "spam", "removed"])
def test_hidden_comments_have_no_public_permalink(client, post, status):
    comment = make_comment(post, status=status)
    assert client.get(f"/comments/{comment.pk}/").status_code == 404


@pytest.mark.parametrize("comment_id", ["0", "99999999999999", "9" * 40, "-1", "abc"])
def test_permalink_nonsense_is_404(client, db, comment_id):
    assert client.get(f"/comments/{comment_id}/").status_code == 404


def test_a_5000_deep_chain_renders_in_constant_queries(client, settings, post, django_assert_num_queries):
    settings.COMMENTS_DISPLAY_DEPTH = 5
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('comments_comment', 'id')) FROM generate_series(1, 5000)"
        )
        ids = [row[0] for row in cursor.fetchall()]
    # Each reply answers the one before; one INSERT per 1,000 rows, and the
    # trigger still computes every path (earlier rows are visible to it).
    Comment.objects.bulk_create(
        [
            Comment(
                id=pk, post=post, parent_id=ids[n - 1] if n else None, name=f"reader {n + 1}",
                body=f"reply {n + 1}", body_html=f"<p>reply {n + 1}</p>", status="approved",
            )
            for n, pk in enumerate(ids)
        ],
        batch_size=1000,
    )  # fmt: skip
    deepest = Comment.objects.order_by("-depth").first()
    assert deepest.depth == 5000 and len(deepest.path) == 32

    # versions, post, top-level ids, the page's comments and pingbacks; the
    # header's archive years: the site version, the counts (none held yet)
    with django_assert_num_queries(6):
        html = client.get(post.get_absolute_url()).content.decode()

    assert len(ids_on(html)) == 5000
    assert html.count('<ol class="children">') == 4  # nesting stops at depth 5
    assert len(re.findall(r"<li[ >]", html)) == html.count("</li>") == 5000
    assert f'in reply to <a href="#comment-{deepest.parent_id}">reader 4999</a>' in html
    # Display order is the chain's order.
    assert numbers_on(html) == list(range(1, 5001))


@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_to_one_parent_keep_the_thread_consistent():
    post = make_post()
    parent = make_comment(post)
    errors = []

    def post_replies(worker):
        try:
            for number in range(15):
                make_comment(post, parent=parent, name=f"worker {worker} reply {number}")
        except Exception as error:  # reported below, with the thread's failure
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=post_replies, args=(n,)) for n in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert errors == []
    replies = list(Comment.objects.filter(parent=parent).order_by("path"))
    assert len(replies) == 90
    assert all(reply.path == [parent.pk, reply.pk] and reply.depth == 2 for reply in replies)
    # Siblings sort by id, i.e. in the order the database accepted them.
    assert [reply.pk for reply in replies] == sorted(reply.pk for reply in replies)


def test_date_archives_list_that_period(client):
    may = make_post(
        title="May - Post (2009)",
        published_at=timezone.datetime(2009, 5, 12, tzinfo=timezone.get_current_timezone()),
    )
    june = make_post(
        title="June - Post (2009)",
        published_at=timezone.datetime(2009, 6, 2, tzinfo=timezone.get_current_timezone()),
    )
    make_post(
        title="Other - Year (2010)",
        published_at=timezone.datetime(2010, 1, 2, tzinfo=timezone.get_current_timezone()),
    )

    year = client.get("/2009/").content.decode()
    month = client.get("/2009/05/").content.decode()

    assert may.title in year and june.title in year and "Other - Year" not in year
    assert "Posts from May 2009" in month and may.title in month and june.title not in month
    assert client.get("/2009/13/").status_code == 404


@pytest.mark.parametrize("url", ["/2009/", "/2009/05/"])
@pytest.mark.parametrize("posts", [1, 12])
def test_archive_query_count_does_not_grow(client, django_assert_num_queries, url, posts):
    for day in range(posts):
        post = make_post(
            published_at=timezone.datetime(2009, 5, 1 + day, tzinfo=timezone.get_current_timezone())
        )
        make_comment(post)
    # 1. the site version, 2. count, 3. the page of posts with counts,
    # 4. the header's archive years (none held yet; the version is the page's)
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200


def test_later_pages_take_one_more_query_whatever_the_size(client, settings, django_assert_num_queries):
    settings.COMMENTS_PER_PAGE = 2
    for size in (5, 60):
        post = make_post()
        for _ in range(size):
            make_comment(post)
        # versions, post, top-level ids, count of comments before the page, the
        # page; the header's archive years: the site version, the counts (a new
        # post each time, so the counts held are never current)
        with django_assert_num_queries(7):
            assert client.get(f"{post.get_absolute_url()}comment-page-2/").status_code == 200


def test_a_reply_whose_top_level_comment_is_hidden_stays_findable(client, paged_thread):
    post, roots, _ = paged_thread
    orphan = make_comment(post, parent=roots[2], name="orphan")
    Comment.objects.filter(pk=roots[2].pk).update(status="removed")
    # roots 0,1 on page 1; root 2 is hidden, so its reply sorts after root 1
    # (page 1); root 3 and 4 move up.
    location = client.get(f"/comments/{orphan.pk}/")["Location"]
    assert location == f"{post.get_absolute_url()}#comment-{orphan.pk}"
    assert orphan.pk in ids_on(client.get(location.split("#")[0]).content.decode())

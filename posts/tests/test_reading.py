"""Reading the archive: the header and footer every page shares, and a
post's thread as readers see it (mentions, "in reply to", avatars, dates,
the reply form's fixes). The same in a real browser: wflm/tests/test_browser_reading.py."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import html5lib
import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from comments.models import Comment
from comments.threads import Thread
from conftest import make_comment, make_form_timestamp, make_post

pytestmark = pytest.mark.django_db

REPLY = {
    "name": "Ada",
    "email": "ada@example.com",
    "url": "",
    "body": "Lovely record.",
    "ts": make_form_timestamp(),
}


def at(year, month=5, day=14, hour=12, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def parse(html):
    return html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False)


def comment_html(html, comment):
    """The <article> of one comment (its own, without its replies)."""
    match = re.search(rf'<li id="comment-{comment.pk}"[^>]*>.*?</article>', html, re.DOTALL)
    assert match, f"comment {comment.pk} is not on the page"
    return match.group()


# --- Header and footer -----------------------------------------------------------------


@pytest.fixture
def archive(db):
    """Posts in 2008 (1) and 2009 (2), and one scheduled for later (not counted)."""
    make_post(title="Old - One (1950)", published_at=at(2008))
    post = make_post(title="Miles Davis - Ascenseur (1958)", published_at=at(2009))
    make_post(title="Two - Two (1960)", published_at=at(2009, 6))
    make_post(title="Later - Soon (2030)", published_at=timezone.now() + timedelta(days=3))
    return post


def test_every_page_has_the_header_and_footer(client, archive):
    for url in ["/", "/2009/", "/2009/05/", archive.get_absolute_url(), "/no/such/page/"]:
        html = client.get(url).content.decode()
        tree = parse(html)
        body = tree.find("body")
        # The skip link comes first, before anything else that takes focus.
        first_link = body.find(".//a")
        assert first_link.get("class") == "skip-link" and first_link.get("href") == "#content", url
        assert first_link.text == "Skip to content"
        assert body.find(".//main").get("id") == "content" and body.find(".//main").get("tabindex") == "-1"
        navs = {nav.get("aria-label"): nav for nav in body.iter("nav")}
        site_links = {a.text: a.get("href") for a in navs["Site"].iter("a")}
        assert (
            site_links["Home"] == "/"
            and site_links["Artists"] == "/artists/"
            and site_links["Feed"] == "/feed/"
        )
        feeds = {a.text: a.get("href") for a in navs["Feeds"].iter("a")}
        assert feeds == {"Posts feed (RSS)": "/feed/", "Comments feed (RSS)": "/comments/feed/"}
        search = body.find(".//form[@role='search']")
        assert search.get("action") == "/search/" and search.get("method") == "get"
        search_input = search.find(".//input[@name='q']")
        assert search.find(".//label").get("for") == search_input.get("id") == "site-search"
        assert 'style="' not in html and "<script>" not in html  # the CSP allows neither


def test_the_header_lists_the_years_with_their_post_counts(client, archive):
    html = client.get("/").content.decode()
    years = re.findall(r'<a href="/(\d{4})/">\d{4} <span class="count">\((\d+)\)</span></a>', html)
    assert years == [("2009", "2"), ("2008", "1")]  # newest first; the scheduled post not yet


def test_the_site_name_is_the_h1_on_the_home_page_only(client, archive):
    home = client.get("/").content.decode()
    post_page = client.get(archive.get_absolute_url()).content.decode()
    assert '<h1 class="site-title">' in home and home.count("<h1") == 1
    assert '<p class="site-title">' in post_page and post_page.count("<h1") == 1


@pytest.mark.parametrize("posts", [1, 40])
def test_the_years_cost_one_query_per_site_version(client, django_assert_num_queries, posts):
    for number in range(posts):
        make_post(published_at=at(1980 + number))
    # A list hands the header its site version: 1. the site version, 2. the
    # count, 3. the page, 4. the years (none held yet)
    with django_assert_num_queries(4):
        assert client.get("/1980/").status_code == 200
    # Another list at the same site version: the years are held.
    with django_assert_num_queries(3):
        assert client.get("/1981/" if posts > 1 else "/1980/05/").status_code == 200
    # A new post is a new site version: the years are read again, with it.
    make_post(published_at=at(1975))
    with django_assert_num_queries(4):
        html = client.get("/1980/").content.decode()
    assert '<a href="/1975/">1975 <span class="count">(1)</span></a>' in html


def test_pages_no_address_matched_do_not_query_for_the_years(client, archive, django_assert_num_queries):
    # The old-link lookup only (archive/redirects.py): a 404 is cheap.
    with django_assert_num_queries(1):
        response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Archives" not in response.content.decode() and "Skip to content" in response.content.decode()


def test_the_503_page_still_renders_without_the_database(django_assert_num_queries):
    # Rendered while the database is down (wflm/middleware.py): no query at all.
    with django_assert_num_queries(0):
        html = render_to_string("503.html")
    assert "Skip to content" in html and 'aria-label="Feeds"' in html


# --- The thread ------------------------------------------------------------------------


def test_at_name_links_to_the_latest_earlier_comment_by_that_name(post):
    first = make_comment(post, name="poetichigh", body="First.", created_at=at(2009, hour=1))
    second = make_comment(post, name="PoeticHigh", body="Again.", created_at=at(2009, hour=2))
    answer = make_comment(post, name="Nightwalker", body="@poetichigh: yes!", created_at=at(2009, hour=3))
    later = make_comment(post, name="poetichigh", body="Later.", created_at=at(2009, hour=4))
    html = Thread.for_post(post).html
    assert f'<p><a class="mention" href="#comment-{second.pk}">@poetichigh</a>: yes!</p>' in comment_html(
        html, answer
    )
    assert f'#comment-{first.pk}"' not in comment_html(html, answer)
    assert f'#comment-{later.pk}"' not in comment_html(html, answer)


def test_at_name_finds_names_with_spaces_and_quotes_longest_first(post):
    miles = make_comment(post, name="Miles", created_at=at(2009, hour=1))
    fan = make_comment(post, name="Miles Fan", created_at=at(2009, hour=2))
    obrien = make_comment(post, name="O'Brien & Co", created_at=at(2009, hour=3))
    to_fan = make_comment(post, name="A", body="@Miles Fan thanks", created_at=at(2009, hour=4))
    to_miles = make_comment(post, name="B", body="@Miles, thanks", created_at=at(2009, hour=5))
    to_obrien = make_comment(post, name="C", body="@O'Brien & Co right", created_at=at(2009, hour=6))
    html = Thread.for_post(post).html
    assert f'href="#comment-{fan.pk}">@Miles Fan</a> thanks' in comment_html(html, to_fan)
    assert f'href="#comment-{miles.pk}">@Miles</a>, thanks' in comment_html(html, to_miles)
    assert f'href="#comment-{obrien.pk}">@O\'Brien &amp; Co</a> right' in comment_html(html, to_obrien)


def test_at_name_stays_text_when_no_earlier_comment_has_that_name(post):
    self_mention = make_comment(post, name="Ada", body="@Ada talking to myself", created_at=at(2009, hour=1))
    unknown = make_comment(post, name="Bob", body="@nobody here", created_at=at(2009, hour=2))
    before = make_comment(post, name="Eve", body="@Zed first", created_at=at(2009, hour=3))
    make_comment(post, name="Zed", created_at=at(2009, hour=4))
    middle = make_comment(post, name="Ann", body="I said @Ada", created_at=at(2009, hour=5))
    make_comment(post, name="Hidden", status="pending", created_at=at(2009, hour=6))
    to_held = make_comment(post, name="Cy", body="@Hidden hi", created_at=at(2009, hour=7))
    html = Thread.for_post(post).html
    for comment in (self_mention, unknown, before, middle, to_held):
        assert 'class="mention"' not in comment_html(html, comment)


def test_every_reply_says_whom_it_answers(post):
    top = make_comment(post, name="poetichigh")
    reply = make_comment(post, parent=top, name="Nightwalker")
    html = Thread.for_post(post).html
    assert f'in reply to <a href="#comment-{top.pk}">poetichigh</a>' in comment_html(html, reply)
    assert "in reply to" not in comment_html(html, top)


def test_dates_read_as_readers_expect_with_a_machine_date(post, settings):
    settings.TIME_ZONE = "UTC"
    comment = make_comment(post, created_at=at(2009, hour=22, minute=42))
    morning = make_comment(post, created_at=at(2009, day=15, hour=0, minute=5))
    html = Thread.for_post(post).html
    assert '<time datetime="2009-05-14T22:42:00+00:00">May 14, 2009 at 10:42 pm</time>' in comment_html(
        html, comment
    )
    assert "May 15, 2009 at 12:05 am" in comment_html(html, morning)


# --- Avatars ---------------------------------------------------------------------------


def avatar_of(html, comment):
    return re.search(r'<svg class="avatar".*?</svg>', comment_html(html, comment)).group()


def test_avatars_are_local_and_follow_the_commenter_across_posts(post):
    other_post = make_post()
    here = make_comment(post, name="Ada", email="Ada@Example.com")
    there = make_comment(other_post, name="Ada L.", email="ada@example.com ")
    someone_else = make_comment(post, name="Ada", email="another@example.com")
    html, other_html = Thread.for_post(post).html, Thread.for_post(other_post).html
    assert avatar_of(html, here) == avatar_of(other_html, there)
    assert avatar_of(html, here) != avatar_of(html, someone_else)
    svg = avatar_of(html, here)
    assert 'aria-hidden="true"' in svg and "href" not in svg and "style" not in svg
    assert re.fullmatch(r'<svg [^>]*><path stroke="#[0-9a-f]{6}" d="(M[0-4] [0-4]\.5h[1-5])+"/></svg>', svg)


def test_avatars_expose_neither_the_email_nor_a_hash_of_it(client, post):
    email = "secret.reader@example.com"
    make_comment(post, name="Quiet", email=email)
    html = client.get(post.get_absolute_url()).content.decode().lower()
    for value in (email, "secret.reader"):
        assert value not in html
    for algorithm in ("md5", "sha1", "sha256"):
        digest = hashlib.new(algorithm, email.encode()).hexdigest()
        assert digest not in html and digest[:8] not in html


def test_avatars_are_keyed_with_the_secret_key(post, settings):
    comment = make_comment(post, email="ada@example.com")
    before = avatar_of(Thread.for_post(post).html, comment)
    settings.SECRET_KEY = "another secret key, another set of pictures" * 2
    assert avatar_of(Thread.for_post(post).html, comment) != before


def test_commenters_without_email_get_an_avatar_from_their_name(post):
    first = make_comment(post, name="Old Timer", email="")
    second = make_comment(post, name="old timer", email="")
    html = Thread.for_post(post).html
    assert avatar_of(html, first) == avatar_of(html, second)


# --- Reply links and the form ----------------------------------------------------------


def test_each_reply_link_names_whom_it_answers(post):
    poet = make_comment(post, name="poetichigh")
    anonymous = [make_comment(post, name="Anonymous") for _ in range(2)]
    html = Thread.for_post(post).html
    # Read out as one phrase ("Reply to poetichigh"), the name wherever the language puts it.
    reply_to_poet = (
        '<span aria-hidden="true">Reply</span><span class="visually-hidden">Reply to poetichigh</span></a>'
    )
    assert reply_to_poet in comment_html(html, poet)
    # The same name twice on the page: the number tells them apart.
    assert '<span class="visually-hidden">Reply to Anonymous (#2)</span>' in comment_html(html, anonymous[0])
    assert 'data-reply-to="Anonymous (#3)"' in comment_html(html, anonymous[1])


def test_the_reply_heading_says_which_anonymous(client, post):
    make_comment(post, name="Anonymous")
    second = make_comment(post, name="Anonymous")
    html = client.get(post.get_absolute_url(), {"replytocom": second.pk}).content.decode()
    heading = re.search(r'<h2 id="reply-title">.*?</h2>', html).group()
    assert (
        heading
        == '<h2 id="reply-title">Leave a Reply to <span class="reply-to-name">Anonymous (#2)</span></h2>'
    )
    # "Cancel reply" is beside the heading, not run into it.
    assert '<p class="cancel-reply"><a id="cancel-comment-reply"' in html


def test_the_comment_box_has_no_hard_limit_and_says_the_limit(client, post):
    html = client.get(post.get_absolute_url()).content.decode()
    textarea = re.search(r"<textarea[^>]*>", html).group()
    assert "maxlength" not in textarea and 'data-limit="10000"' in textarea
    assert 'aria-describedby="id_body_helptext"' in textarea
    assert '<span class="help" id="id_body_helptext">Up to 10,000 characters.</span>' in html


def test_a_too_long_comment_is_refused_with_a_clear_message_and_kept(client, post):
    body = "x" * 20_000
    response = client.post(post.get_absolute_url(), REPLY | {"body": body})
    html = response.content.decode()
    assert response.status_code == 400
    assert (
        "Your comment is 20,000 characters long and the limit is 10,000: please shorten it by 10,000. "
        "Your text is kept below."
    ) in html
    assert body + "</textarea>" in html
    assert not Comment.objects.exists()


def test_line_breaks_count_once_against_the_limit(client, post):
    # A browser sends each line break as CR LF: 5,000 of them are still 10,000 characters.
    body = "x\r\n" * 4_999 + "xy"
    response = client.post(post.get_absolute_url(), REPLY | {"body": body})
    assert response.status_code == 302
    assert len(Comment.objects.get().body) == 10_000


def test_a_bad_website_is_reported_once(client, post):
    for value in ("notaurl", "javascript:alert(1)", "ftp://example.com/"):
        html = client.post(post.get_absolute_url(), REPLY | {"url": value}).content.decode()
        assert html.count("Please enter a web address starting with http:// or https://.") == 1, value


def test_identicons_are_mirrored_and_never_empty():
    from comments.threads import avatar_svg

    for first_byte in range(0, 256, 17):
        for pattern in (b"\x00\x00", b"\xff\xff", bytes([first_byte, 255 - first_byte])):
            svg = avatar_svg(bytes([first_byte, 7, 3]) + pattern + bytes(27))
            cells = set()
            for x, y, length in re.findall(r"M(\d) (\d)\.5h(\d)", svg):
                cells |= {(int(x) + step, int(y)) for step in range(int(length))}
            assert cells, svg
            assert cells == {(4 - x, y) for x, y in cells}, svg

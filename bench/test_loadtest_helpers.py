"""The load test's own helpers: form parsing, percentiles, the stored-replies check (no timing)."""

import pytest

from bench import loadtest
from comments.models import Comment
from conftest import make_comment

PAGE = """<html><body>
<form id="search" action="/search/"><input name="q" value="ignored"></form>
<input type="hidden" name="outside" value="not in the form">
<form action="/2009/05/post/#respond" method="post" id="commentform" class="comment-form" novalidate>
  <input type="hidden" name="csrfmiddlewaretoken" value="tok&amp;en">
  <input type="text" name="name" maxlength="100" required>
  <input type="email" name="email" value="a@example.com">
  <textarea name="body" rows="8">
Typed &lt;text&gt;</textarea>
  <input type="checkbox" name="remember">
  <input type="checkbox" name="notify_replies" checked>
  <input type="radio" name="choice" value="a"><input type="radio" name="choice" value="b" checked>
  <select name="lang"><option value="en">English</option><option value="fr" selected>French</option></select>
  <select name="size"><option value="s">S</option><option value="m">M</option></select>
  <input type="text" name="disabled_one" value="x" disabled>
  <input type="hidden" name="ts" value="1700000000000:sig">
  <input type="hidden" name="parent" value="">
  <input type="hidden" name="idempotency_key" value="k-123">
  <button type="submit" id="submit">Post Comment</button>
  <input type="submit" name="go" value="Go">
</form>
<form id="commentform" action="/second/"><input name="never" value="read"></form>
</body></html>"""


def test_parse_form_takes_every_successful_control_of_the_comment_form_only():
    form = loadtest.parse_form(PAGE)

    assert form["action"] == "/2009/05/post/#respond"
    assert form["method"] == "post"
    assert form["fields"] == [
        ("csrfmiddlewaretoken", "tok&en"),
        ("name", ""),
        ("email", "a@example.com"),
        ("body", "Typed <text>"),  # the newline after <textarea> is not part of the value
        ("notify_replies", "on"),
        ("choice", "b"),
        ("lang", "fr"),
        ("size", "s"),
        ("ts", "1700000000000:sig"),
        ("parent", ""),
        ("idempotency_key", "k-123"),
    ]


def test_parse_form_refuses_a_page_without_the_form():
    with pytest.raises(ValueError, match="commentform"):
        loadtest.parse_form('<form id="other"><input name="a"></form>')


def test_fill_form_sets_each_named_field_in_place_and_keeps_the_hidden_ones():
    fields = [("csrfmiddlewaretoken", "t"), ("name", ""), ("body", "old"), ("parent", ""), ("ts", "s")]

    filled = loadtest.fill_form(fields, {"name": "Ann", "body": "new", "parent": "7", "email": "a@b.c"})

    assert filled == [
        ("csrfmiddlewaretoken", "t"),
        ("name", "Ann"),
        ("body", "new"),
        ("parent", "7"),
        ("ts", "s"),
        ("email", "a@b.c"),
    ]


def test_fill_form_replaces_a_repeated_field_once():
    assert loadtest.fill_form([("a", "1"), ("a", "2"), ("b", "x")], {"a": "9"}) == [("a", "9"), ("b", "x")]


@pytest.mark.parametrize(
    ("percent", "expected"),
    [(50, 50), (99, 99), (100, 100), (1, 1), (0, 1), (99.5, 100)],
)
def test_percentile_is_the_nearest_rank(percent, expected):
    values = list(range(100, 0, -1))  # 1..100, unsorted

    assert loadtest.percentile(values, percent) == expected


def test_percentile_of_few_values_and_of_none():
    assert loadtest.percentile([3.0, 1.0], 50) == 1.0
    assert loadtest.percentile([3.0, 1.0], 99) == 3.0
    assert loadtest.percentile([], 50) is None


def test_markers_are_found_again_in_a_body():
    body = f"Some text.\n\nReply {loadtest.marker('lt00ab12', 42)}"

    assert loadtest.marker_number(body, "lt00ab12") == 42
    assert loadtest.marker_number(body, "lt999999") is None
    assert loadtest.marker_number("no marker", "lt00ab12") is None


def test_status_lines_and_classes():
    output = "Requests/sec: 10\nstatus 200 1234\nstatus 503 2\nnot status 1 2\n"

    statuses = loadtest.parse_status_lines(output)

    assert statuses == {200: 1234, 503: 2}
    assert loadtest.status_class_counts({**statuses, 302: 5, "connection error": 3}) == {
        "2xx": 1234,
        "3xx": 5,
        "5xx": 2,
        "errors": 3,
    }


# --- check_replies: archive comment 10 (depth 1) and 11 (depth 2, under 10) ---------------

ARCHIVE = {10: {"depth": 1, "path": [10]}, 11: {"depth": 2, "path": [10, 11]}}


def row(number, id, parent_id=None, depth=1, path=None, status="approved", post_id=1):
    return {
        "number": number,
        "id": id,
        "parent_id": parent_id,
        "post_id": post_id,
        "status": status,
        "depth": depth,
        "path": path if path is not None else [id],
    }


def expected_for(rows):
    return {r["number"]: {"parent": r["parent_id"], "post": r["post_id"]} for r in rows}


def good_rows():
    return [
        row(0, 100),  # top-level
        row(1, 101, parent_id=11, depth=3, path=[10, 11, 101]),  # to an archive comment
        row(2, 102, parent_id=101, depth=4, path=[10, 11, 101, 102]),  # to another reply
    ]


def test_check_replies_passes_a_consistent_set():
    rows = good_rows()

    result = loadtest.check_replies(3, expected_for(rows), rows, ARCHIVE)

    assert result["ok"]
    assert result["stored"] == 3
    assert result["examples"] == {}


def test_check_replies_counts_lost_and_duplicated_replies():
    rows = good_rows()
    expected = expected_for(rows)
    kept = [rows[0], rows[1], {**rows[1], "id": 103, "path": [10, 11, 103]}]

    result = loadtest.check_replies(3, expected, kept, ARCHIVE)

    assert not result["ok"]
    assert result["missing"] == 1 and result["examples"]["missing"] == [2]
    assert result["duplicated"] == 1 and result["examples"]["duplicated"] == [1]
    assert result["stored"] == 2 and result["rows"] == 3


def test_check_replies_finds_a_wrong_parent_a_wrong_post_and_a_held_reply():
    rows = good_rows()
    expected = expected_for(rows) | {0: {"parent": 10, "post": 2}}
    rows[2]["status"] = "pending"

    result = loadtest.check_replies(3, expected, rows, ARCHIVE)

    assert result["examples"]["wrong_parent"] == [0]
    assert result["examples"]["wrong_post"] == [0]
    assert result["examples"]["not_approved"] == [2]


@pytest.mark.parametrize(
    "broken",
    [
        {"depth": 4},  # parent depth 2 + 1 would be 3
        {"path": [10, 101]},  # skips the parent's own id
        {"path": [10, 11, 999]},  # does not end with its own id
        {"path": [11, 10, 101]},  # not the parent's path as a prefix
        {"parent_id": 55},  # a parent that does not exist
    ],
)
def test_check_replies_finds_inconsistent_paths_and_depths(broken):
    rows = good_rows()
    expected = expected_for(rows)
    rows[1].update(broken)
    expected[1]["parent"] = rows[1]["parent_id"]

    result = loadtest.check_replies(3, expected, rows, ARCHIVE)

    # Reply 2 (under reply 1) may be flagged too: its parent's path or depth is off.
    assert result["examples"]["bad_thread"][0] == 1
    assert not result["ok"]


def test_thread_check_follows_the_path_cap_past_32_levels():
    parent = {"depth": 32, "path": list(range(1, 33))}
    capped = {"id": 500, "parent_id": 32, "depth": 33, "path": [*range(1, 32), 500]}

    assert loadtest.thread_consistent(capped, parent)
    assert not loadtest.thread_consistent({**capped, "path": [*range(1, 33), 500]}, parent)
    assert not loadtest.thread_consistent({**capped, "depth": 34}, parent)


def test_check_replies_reports_markers_outside_the_plan():
    rows = [*good_rows(), row(7, 107)]

    result = loadtest.check_replies(3, expected_for(rows), rows, ARCHIVE)

    assert result["examples"]["unexpected"] == [7]


# --- Against the real page ---------------------------------------------------------------


@pytest.mark.django_db
def test_parse_form_reads_the_real_post_page_and_replytocom(client, post):
    """The parser must keep up with the template: every hidden input the view sends comes back."""
    comment = make_comment(post)

    page = client.get(post.get_absolute_url())
    form = loadtest.parse_form(page.content.decode())
    names = [name for name, _ in form["fields"]]
    fields = dict(form["fields"])
    reply = dict(
        loadtest.parse_form(
            client.get(f"{post.get_absolute_url()}?replytocom={comment.pk}").content.decode()
        )["fields"]
    )

    assert form["method"] == "post"
    assert form["action"].startswith(post.get_absolute_url())
    assert {"name", "email", "url", "body", "ts", "key", "parent", "subject"} <= set(names)
    # Anonymous pages carry no CSRF token (wflm/same_origin.py).
    assert "csrfmiddlewaretoken" not in names
    assert fields["ts"] and fields["key"]
    assert fields["parent"] == ""
    assert reply["parent"] == str(comment.pk)


@pytest.mark.django_db
def test_the_parsed_form_posts_a_reply(client, post, settings):
    """What the commenters send back (every input, filled in) is a reply the app stores."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    settings.COMMENTS_REQUIRE_PREVIOUSLY_APPROVED = False
    parent = make_comment(post)
    client = type(client)(enforce_csrf_checks=True)
    form = loadtest.parse_form(
        client.get(f"{post.get_absolute_url()}?replytocom={parent.pk}").content.decode()
    )
    body = f"A reply {loadtest.marker('lttest', 3)}"
    data = dict(loadtest.fill_form(form["fields"], {"name": "Ann", "email": "ann@example.com", "body": body}))

    response = client.post(form["action"].split("#")[0], data)

    assert response.status_code == 302
    stored = Comment.objects.get(body=body)
    assert stored.parent_id == parent.pk
    assert stored.status == Comment.Status.APPROVED
    assert loadtest.thread_consistent(
        {"id": stored.pk, "parent_id": parent.pk, "depth": stored.depth, "path": stored.path},
        Comment.objects.values("depth", "path").get(pk=parent.pk),
    )


def test_server_times_read_the_access_log_per_kind_of_request(tmp_path):
    log = tmp_path / "gunicorn.log"
    log.write_text(
        '127.0.0.1 "GET / HTTP/1.1" 200 5120 3ms\n'
        '127.0.0.1 "GET /?page=2 HTTP/1.1" 200 5120 5ms\n'
        '127.0.0.1 "GET /2009/05/post/?replytocom=7 HTTP/1.1" 200 9000 20ms\n'
        '127.0.0.1 "POST /2009/05/post/ HTTP/1.1" 302 0 40ms\n'
        "[2026-12-01 09:00:00 +0000] [12] [ERROR] not an access line 99ms\n"
    )

    times = loadtest.server_times(log)

    assert list(times) == ["GET home 200", "GET post?replytocom 200", "POST post 302"]
    assert times["GET home 200"]["n"] == 2
    assert times["GET home 200"]["p99_ms"] == 5
    assert times["POST post 302"]["total_s"] == 0.04
    assert loadtest.server_times(tmp_path / "missing.log") == {}

"""How a comment body becomes its body_html: plain text exactly as typed,
the allowed tags kept, everything else escaped or dropped."""

import html
import io
import re

import pytest
from django.core.management import call_command
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from comments.models import Comment
from comments.text import ALLOWED_TAGS_HELP, comment_to_html, has_formatting
from conftest import make_comment

_TAG = re.compile(r"<[^>]*>")


def visible_text(markup):
    return html.unescape(_TAG.sub("", markup))


def squeeze(text):
    return "".join(text.split())


@pytest.mark.parametrize(
    "text",
    [
        "see the page (http://a.example/x), then go.",
        "at [http://a.example/x]. Next",
        "http://a.example/x). and www.b.example].",
        "mail joe@example.com, then (www.example.org/a).",
    ],
)
def test_punctuation_after_a_link_is_kept(text):
    rendered = comment_to_html(text)
    assert squeeze(visible_text(rendered)) == squeeze(text)
    assert 'rel="nofollow ugc noopener"' in rendered


# Text made of the pieces that trouble autolinking and escaping.
PIECES = st.sampled_from(
    [
        "http://a.example/x",
        "https://b.example/?q=1&r=2",
        "www.c.org",
        "d@e.com",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        ";",
        ":",
        "!",
        "&",
        "&amp;",
        "&lt;",
        "<",
        ">",
        '"',
        "'",
        " ",
        "\n",
        "\n\n",
        "x",
        "é",
        "<3",
    ]
)
PLAIN_TEXT = st.one_of(
    st.lists(PIECES, max_size=30).map("".join),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=200),
)


@settings(max_examples=400, deadline=None)
@given(PLAIN_TEXT)
def test_plain_text_is_shown_exactly(text):
    """For any plain text, the visible text of the rendered HTML is the text (whitespace aside)."""
    assume(not has_formatting(text))
    assert squeeze(visible_text(comment_to_html(text))) == squeeze(text)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("<em>Hi</em>, see", "<p><em>Hi</em>, see</p>"),
        (
            "<blockquote>Stay hungry.\nStay foolish.</blockquote>me",
            "<blockquote><p>Stay hungry.<br>\nStay foolish.</p></blockquote><p>me</p>",
        ),
        (
            '<a href="http://a.example/x" title="t">there</a>, ok',
            '<p><a href="http://a.example/x" title="t" rel="nofollow ugc noopener">there</a>, ok</p>',
        ),
        (
            "<code>a &lt; b</code> and <strong>c</strong>",
            "<p><code>a &lt; b</code> and <strong>c</strong></p>",
        ),
        ('<ol start="3"><li>c</li></ol>', '<ol start="3"><li>c</li></ol>'),
        ('<ol start="²"><li>c</li></ol>', "<ol><li>c</li></ol>"),
        ('<ol start="' + "9" * 5000 + '"><li>c</li></ol>', "<ol><li>c</li></ol>"),
        ("<pre>x\n\n  y</pre>", "<pre>x\n\n  y</pre>"),
    ],
)
def test_allowed_formatting_is_kept(body, expected):
    assert comment_to_html(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        '<em>x</em><a href="javascript:alert(1)">a</a>',
        "<em>x</em><a href=' JAVASCRIPT:alert(1)'>a</a>",
        '<em>x</em><a href="data:text/html,x">a</a>',
        '<em>x</em><a href="/relative" onclick="alert(1)" style="x" class="c">a</a>',
        '<em onmouseover="alert(1)">x</em><script>alert(1)</script><img src=x onerror=alert(1)>',
        '<b>x</b><iframe src="http://evil.example/"></iframe><svg onload=alert(1)>',
        '<blockquote cite="javascript:alert(1)">q</blockquote><q cite="vbscript:x">q</q>',
        '<em title="a" x="y>">x</em>"><script>alert(1)</script>',
    ],
)
def test_nothing_dangerous_passes(body):
    rendered = comment_to_html(body)
    tags = re.findall(r"<([a-z]+)([^>]*)>", rendered)
    for name, attributes in tags:
        assert name in {"p", "br", "a", "em", "b", "blockquote", "q"}, rendered
        for attribute, value in re.findall(r'([a-z-]+)="([^"]*)"', attributes):
            assert attribute in {"href", "title", "rel", "cite"}, rendered
            if attribute in {"href", "cite"}:
                assert value.startswith(("http://", "https://", "mailto:")), rendered


def test_deep_nesting_is_bounded_and_fast():
    body = "<blockquote>x" * 2000
    rendered = comment_to_html(body)
    assert rendered.count("<blockquote>") == 20
    assert visible_text(rendered) == "x" * 2000


def test_an_over_long_body_is_shown_cut(settings):
    settings.IMPORT_MAX_BODY_CHARS = 10_000
    rendered = comment_to_html("y" * 50_000)
    assert rendered.count("y") == 10_000 and rendered.endswith("<p>[…]</p>")


def test_form_lists_the_allowed_tags(client, post):
    response = client.get(post.get_absolute_url())
    assert (
        "You may use these HTML tags: <code>" + html.escape(ALLOWED_TAGS_HELP, quote=False) in response.text
    )


@pytest.mark.django_db
def test_rerender_comments(post):
    comment = make_comment(post, body="see (http://a.example/x), then")
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>stale</p>")
    out = io.StringIO()
    call_command("rerender_comments", "--dry-run", stdout=out)
    assert "1 would change" in out.getvalue()
    assert Comment.objects.get(pk=comment.pk).body_html == "<p>stale</p>"
    call_command("rerender_comments", stdout=out)
    assert Comment.objects.get(pk=comment.pk).body_html == comment_to_html(comment.body)

"""Turning imported comment HTML into text, and the fast autolinking the import relies on."""

import re

import pytest

from archive.tests.files import FIXTURES, fixture_path
from archive.text import html_to_text, remove_control_characters, unescape_repeatedly
from comments.text import autolink, urlize


@pytest.mark.parametrize(
    "markup, text",
    [
        ("<p>Hello, World.</p>", "Hello, World."),
        ("plain &gt; quote\nnext line\n\nnew para", "plain > quote\nnext line\n\nnew para"),
        ("one<br />two<br>three", "one\ntwo\nthree"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ('<a href="http://example.org/" rel="nofollow">http://example.org/</a>', "http://example.org/"),
        ('see <a href="https://x.example/y">this</a>.', 'see <a href="https://x.example/y">this</a>.'),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        (
            "<ul>\n\t<li>One\n<ul>\n\t<li>Nested</li>\n</ul>\n</li>\n\t<li>Two</li>\n</ul>",
            "<ul><li>One<ul><li>Nested</li></ul></li><li>Two</li></ul>",
        ),
        ('<ol start="8"><li>eight</li><li>nine</li></ol>', '<ol start="8"><li>eight</li><li>nine</li></ol>'),
        (
            "<blockquote>Stay hungry.\nStay foolish.</blockquote>me",
            "<blockquote>Stay hungry.\nStay foolish.</blockquote>me",
        ),
        ("<table><tr><th>A</th><th>B</th></tr>\n<tr><td>1</td>\n<td>2</td></tr></table>", "A | B\n1 | 2"),
        ('<img src="http://x.example/y.png" alt="Boat" />', "[image: Boat http://x.example/y.png]"),
        ("ok<script>alert(1)</script><style>p{}</style>", "ok"),
        ("\n\t  indented\n\t  lines  \n", "indented\nlines"),
        ("前来围观 真正的沙发 🙏", "前来围观 真正的沙发 🙏"),
    ],
)
def test_html_to_text(markup, text):
    assert html_to_text(markup)[0] == text


def test_html_to_text_says_when_it_dropped_markup():
    assert html_to_text("<p>a</p><br><a href='http://x.example'>x</a>")[1] is False
    assert html_to_text("<h1>a</h1>")[1] is True


def test_unescape_repeatedly():
    assert unescape_repeatedly("&amp;amp;#8220;作弊&amp;amp;#8221;") == "“作弊”"
    assert unescape_repeatedly("Ping 1 &laquo; What&#8217;s") == "Ping 1 « What’s"


def test_control_characters():
    assert remove_control_characters("a\x00b\r\nc\x85d\te") == ("ab\ncd\te", 2)


AUTOLINK_CASES = [
    "Visit www.example.com, or (http://x.org/a_b). mail me: joe@example.com!",
    '<b>"quoted"</b> it\'s 5 > 3 & done.',
    "a.b.COM/path and ünïcode.net/ü and foo@bar and @name",
    "&lt;http://x.com&gt; http:// https://[::1]/ x@y@z.org. trailing.com.",
    "http://a.com\u2003www.b.org\u00a0c.net",
    "",
]


def _fixture_texts():
    texts = []
    for path in sorted(FIXTURES.glob("*.xml")):
        texts += re.findall(r"<!\[CDATA\[(.*?)\]\]>", path.read_text(encoding="utf-8"), flags=re.S)[:400]
    return texts


def test_autolink_is_urlize():
    """comments.text.autolink must give exactly what its urlize gives (it only skips work)."""
    fixture_path("wordpress-theme-unit-test.xml")  # skips when the fixtures are absent
    texts = AUTOLINK_CASES + _fixture_texts()
    for text in texts:
        plain = html_to_text(text)[0]
        for candidate in (text, plain):
            assert autolink(candidate) == urlize(candidate), candidate
    assert len(texts) > 1000

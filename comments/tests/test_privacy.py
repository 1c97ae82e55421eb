"""WordPress's privacy tools for comments: export and erase one author's personal data."""

import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from comments.models import Comment
from conftest import make_comment, make_post

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"


@pytest.fixture
def authors(post):
    """Ada's two comments (one with a reply by Bea), and Bea's."""
    first = make_comment(
        post,
        name="Ada",
        email="ada@example.com",
        url="https://ada.example/",
        ip_address="192.0.2.1",
        user_agent="Firefox",
        body="Ada's first.",
        notify_replies=True,
    )
    second = make_comment(
        make_post(title="Other - Post (1999)"), name="Ada L.", email="ADA@example.com", body="Ada's second."
    )
    bea = make_comment(
        post, parent=first, name="Bea", email="bea@example.com", ip_address="192.0.2.2", body="Bea's."
    )
    return first, second, bea


def run(*args, stdin=None):
    out = StringIO()
    with mock.patch("builtins.input", return_value=stdin) if stdin is not None else mock.MagicMock():
        call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- Export ------------------------------------------------------------------------------------------


def test_export_lists_every_comment_by_an_email_whatever_its_case(authors):
    first, second, _bea = authors
    document = json.loads(run("export_personal_data", "Ada@Example.com"))
    comments = document["comments"]
    assert [c["id"] for c in comments] == [first.pk, second.pk]
    assert comments[0] | {"date": None} == {
        "id": first.pk,
        "post": first.post.title,
        "post_url": first.post.get_absolute_url(),
        "name": "Ada",
        "email": "ada@example.com",
        "website": "https://ada.example/",
        "ip_address": "192.0.2.1",
        "user_agent": "Firefox",
        "date": None,
        "status": "approved",
        "notify_replies": True,
        "text": "Ada's first.",
    }
    assert "Bea" not in json.dumps(document)


def test_export_to_a_file(authors, tmp_path):
    target = tmp_path / "ada.json"
    run("export_personal_data", "ada@example.com", "--output", str(target))
    assert len(json.loads(target.read_text())["comments"]) == 2


def test_export_refuses_a_non_address(db):
    with pytest.raises(CommandError, match="not an email address"):
        run("export_personal_data", "nobody")


def test_admin_export_action_downloads_json(admin_client, authors):
    first, _second, bea = authors
    response = admin_client.post(
        CHANGELIST, {"action": "export_personal_data", "_selected_action": [first.pk, bea.pk]}
    )
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert sorted(data) == ["ada@example.com", "bea@example.com"]
    assert len(data["ada@example.com"]) == 2 and len(data["bea@example.com"]) == 1


# --- Erase -------------------------------------------------------------------------------------------


def erased(comment):
    comment.refresh_from_db()
    return (
        comment.name,
        comment.email,
        comment.url,
        comment.ip_address,
        comment.user_agent,
        comment.notify_replies,
    )


def test_erase_anonymises_but_keeps_the_text_after_confirmation(authors):
    first, second, bea = authors
    output = run("erase_personal_data", "ada@example.com", stdin="yes")
    assert "Anonymised 2 comment(s)" in output
    assert erased(first) == erased(second) == ("Anonymous", "", "", None, "", False)
    assert first.body == "Ada's first." and first.status == "approved"
    assert erased(bea)[0:2] == ("Bea", "bea@example.com")
    assert Comment.objects.count() == 3  # nothing deleted


def test_erase_without_confirmation_changes_nothing(authors):
    first, _second, _bea = authors
    with pytest.raises(CommandError, match="Nothing was changed"):
        run("erase_personal_data", "ada@example.com", stdin="no")
    assert erased(first)[0] == "Ada"


def test_erase_dry_run_and_no_input(authors):
    first, _second, _bea = authors
    assert "2 comment(s) by ada@example.com would be anonymised" in run(
        "erase_personal_data", "ada@example.com", "--dry-run"
    )
    assert erased(first)[0] == "Ada"
    run("erase_personal_data", "ada@example.com", "--no-input")
    assert erased(first)[0] == "Anonymous"


def test_erase_an_unknown_address(db):
    assert "No comments by nobody@example.com" in run(
        "erase_personal_data", "nobody@example.com", "--no-input"
    )


def test_admin_erase_action_asks_then_erases(admin_client, authors):
    first, second, bea = authors
    selection = {"action": "erase_personal_data", "_selected_action": [first.pk]}

    confirm = admin_client.post(CHANGELIST, selection)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Erase the personal data of 1 author, in 2 comments?" in html
    assert "ada@example.com" in html
    assert erased(first)[0] == "Ada"

    done = admin_client.post(CHANGELIST, selection | {"confirm": "yes"}, follow=True)
    assert "Personal data erased from 2 comments by 1 author." in done.content.decode()
    assert erased(first)[0] == erased(second)[0] == "Anonymous"
    assert erased(bea)[0] == "Bea"

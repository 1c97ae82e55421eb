"""purge_spam: old spam goes; nothing else, and never a reply with it."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from comments.models import Comment
from conftest import make_comment

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def purge(*args):
    out = StringIO()
    call_command("purge_spam", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def comments(post):
    return {
        "old spam": make_comment(post, status="spam", created_at=days_ago(31)),
        "new spam": make_comment(post, status="spam", created_at=days_ago(29)),
        "old pending": make_comment(post, status="pending", created_at=days_ago(400)),
        "old removed": make_comment(post, status="removed", created_at=days_ago(400)),
        "old approved": make_comment(post, created_at=days_ago(400)),
    }


def left():
    return set(Comment.objects.values_list("pk", flat=True))


def test_deletes_spam_older_than_30_days_only(comments):
    output = purge("--older-than", "30d")
    assert "Deleted 1 spam comment(s)" in output
    assert left() == {c.pk for name, c in comments.items() if name != "old spam"}


def test_dry_run_deletes_nothing(comments):
    assert "Would delete 1 spam comment(s)" in purge("--dry-run")
    assert len(left()) == 5


@pytest.mark.parametrize(("age", "deleted"), [("12h", 2), ("2w", 2), ("30d", 1), ("60d", 0)])
def test_ages_in_hours_days_and_weeks(comments, age, deleted):
    purge("--older-than", age)
    assert len(left()) == 5 - deleted


@pytest.mark.parametrize("age", ["30", "0d", "thirty days", "-3d", "3y"])
def test_a_bad_age_is_refused(db, age):
    with pytest.raises(CommandError, match="30d, 12h or 2w"):
        purge(f"--older-than={age}")


def test_spam_with_a_real_reply_below_it_is_kept(post):
    spam = make_comment(post, status="spam", created_at=days_ago(60))
    spam_reply = make_comment(post, parent=spam, status="spam", created_at=days_ago(59))
    real = make_comment(post, parent=spam_reply, created_at=days_ago(58))
    lone = make_comment(post, status="spam", created_at=days_ago(60))
    chain = make_comment(post, status="spam", created_at=days_ago(60))
    make_comment(post, parent=chain, status="spam", created_at=days_ago(60))

    output = purge()

    assert "kept 2 with replies" in output
    assert left() == {spam.pk, spam_reply.pk, real.pk}
    assert lone.pk not in left() and chain.pk not in left()


def chain_of(post, length, statuses):
    """A reply chain of length comments, each replying to the one before; statuses: {depth: status}."""
    chain, parent = [], None
    for depth in range(1, length + 1):
        parent = make_comment(
            post, parent=parent, status=statuses.get(depth, "approved"), created_at=days_ago(90 - depth / 100)
        )
        chain.append(parent)
    return chain


def test_spam_deeper_than_a_path_keeps_its_real_replies(post):
    # A path keeps 32 ids; ancestry beyond it must still be known.
    chain = chain_of(post, 40, {1: "spam", 33: "spam", 34: "spam", 35: "spam", 40: "spam"})
    assert chain[-1].depth == 40 and len(Comment.objects.get(pk=chain[-1].pk).path) == 32

    output = purge()

    # Only the leaf goes: 33-35 have approved replies at 36-39, and the root has the whole chain.
    assert "Deleted 1 spam comment(s)" in output and "kept 4 with replies" in output
    assert left() == {comment.pk for comment in chain[:-1]}


def test_a_whole_deep_spam_chain_goes_together(post):
    chain = chain_of(post, 40, dict.fromkeys(range(1, 41), "spam"))
    purge()
    assert not left() & {comment.pk for comment in chain}


def test_ancestors_are_found_at_any_depth(post):
    chain = chain_of(post, 40, {})
    assert Comment.objects.ancestor_ids(chain[-1].pk) == {comment.pk for comment in chain[:-1]}
    assert Comment.objects.ancestor_ids(chain[0].pk) == set()

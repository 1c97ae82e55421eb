import pytest
from django.core.management import call_command

from comments.models import Comment
from posts.models import Post

pytestmark = pytest.mark.django_db


def test_load_demo_creates_the_seed_post_and_its_13_responses():
    call_command("load_demo", if_empty=True)

    post = Post.objects.get()
    assert post.title == "Miles Davis - Ascenseur pour l'echafaud (1958)"
    assert (post.artist, post.album, post.year) == ("Miles Davis", "Ascenseur pour l'echafaud", 1958)
    comments = list(post.comments.order_by("created_at"))
    assert len(comments) == 13
    assert all(comment.status == Comment.Status.APPROVED for comment in comments)
    names = [comment.name for comment in comments]
    assert names == [
        "Anonymous", "Anonymous", "Anonymous", "Anonymous", "kurt", "poetichigh", "Anonymous",
        "Anonymous", "Anonymous", "Anonymous", "Anonymous", "Anonymous", "Feguillerme",
    ]  # fmt: skip
    number = {comment.pk: index for index, comment in enumerate(comments, start=1)}
    replies = {number[c.pk]: number[c.parent_id] for c in comments if c.parent_id}
    assert replies == {2: 1, 7: 6, 8: 7, 9: 8, 12: 10}
    assert comments[12].body.endswith("Thanks!!!\n\n\nFeguillerme")


def test_the_demo_post_is_in_english_and_says_so_in_another_interface(client, settings):
    call_command("load_demo", if_empty=True)
    post = Post.objects.get()
    assert post.language == "en"

    settings.LANGUAGE_CODE = "fr"
    html = client.get(post.get_absolute_url()).content.decode()

    assert '<html lang="fr"' in html
    assert '<div class="post-body" lang="en" dir="auto">' in html
    assert '<div class="thread" lang="en">' in html
    # Searched in English: another form of a word its comments use.
    assert (
        post.comments.get(name="kurt").get_absolute_url()
        in client.get("/search/", {"q": "blow"}).content.decode()
    )


def test_load_demo_leaves_a_non_empty_archive_alone(post):
    call_command("load_demo", if_empty=True)
    assert Post.objects.count() == 1
    with pytest.raises(SystemExit):
        call_command("load_demo")

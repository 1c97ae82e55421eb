"""The "Imports" admin page, source records, and undoing inferred reply links."""

import pytest
from django.urls import reverse

from archive.models import CommentSource, ImportRun
from archive.tests.files import SEED, failed_import, run_import, shared_file
from comments.models import Comment

pytestmark = pytest.mark.django_db

IMPORTS = reverse("admin:archive_importrun_changelist")


def test_outsiders_are_sent_to_log_in(client):
    response = client.get(IMPORTS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_permission_are_refused(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "password", is_staff=True)
    client.force_login(user)
    assert client.get(IMPORTS).status_code == 403


def test_the_imports_page_lists_each_run(admin_client, tmp_path):
    run_import("wordpress-theme-unit-test.xml")
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/"><channel>')
    failed_import(broken)
    response = admin_client.get(IMPORTS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "wordpress-theme-unit-test.xml" in page and "broken.xml" in page
    assert ">33<" in page  # comments created
    assert "Failed (nothing written)" in page


def test_the_imports_page_query_count_does_not_grow(admin_client, django_assert_num_queries):
    # session, user, run count (filtered and total), the page of runs, the
    # date range and days for the date bar, the formats and sites to filter
    # by, the pending-comment count in the header (templates/admin/base_site.html)
    expected = 10
    run_import("isso-generic.json")
    with django_assert_num_queries(expected):
        admin_client.get(IMPORTS)
    for _ in range(5):
        run_import("isso-generic.json")
    with django_assert_num_queries(expected):
        admin_client.get(IMPORTS)


def test_a_run_shows_its_summary_and_warnings(admin_client):
    result = run_import("wordpress-importer-a11y-unit-test-data.xml")
    response = admin_client.get(result.run.get_absolute_url())
    page = response.content.decode()
    assert "comments: 25 comments, 4 pingbacks, 0 trackbacks created" in page
    assert "maximum depth 10" in page
    assert "another item in the file has post id 156; both kept" in page


def test_runs_cannot_be_added_or_edited(admin_client):
    assert admin_client.get(reverse("admin:archive_importrun_add")).status_code == 403
    run = run_import("isso-generic.json").run
    response = admin_client.post(run.get_absolute_url(), {"file_name": "changed"})
    assert response.status_code == 403
    assert ImportRun.objects.get().file_name == "isso-generic.json"


def test_source_records_are_listed(admin_client):
    run_import("wordpress-theme-unit-test.xml")
    response = admin_client.get(reverse("admin:archive_postsource_changelist") + "?q=template-comments")
    assert response.status_code == 200
    assert "Template: Comments" in response.content.decode()
    comment_sources = admin_client.get(reverse("admin:archive_commentsource_changelist"))
    assert comment_sources.status_code == 200


class TestInferredLinks:
    @pytest.fixture
    def seed(self, db):
        run_import(shared_file(SEED), infer_replies=True, replies={2: 1, 8: 7, 9: 8, 12: 10})

    def act(self, admin_client, action, sources):
        return admin_client.post(
            reverse("admin:archive_commentsource_changelist"),
            {"action": action, "_selected_action": [s.pk for s in sources]},
            follow=True,
        )

    def test_listed_as_inferred(self, admin_client, seed):
        response = admin_client.get(reverse("admin:archive_commentsource_changelist") + "?link=inferred")
        assert response.context["cl"].result_count == 5
        assert "@poetichigh" in response.content.decode()

    def test_undo_and_restore(self, admin_client, seed):
        seven = CommentSource.objects.get(original_id="7")
        response = self.act(admin_client, "undo_inferred_links", [seven])
        assert "1 inferred reply link undone." in response.content.decode()
        comment = Comment.objects.get(original_id="7")
        assert comment.parent is None and not comment.reply_inferred and comment.depth == 1
        # Its replies moved with it.
        assert Comment.objects.get(original_id="9").depth == 3
        seven.refresh_from_db()
        assert seven.parent_origin == "undone"

        response = self.act(admin_client, "restore_inferred_links", [seven])
        assert "1 reply link restored." in response.content.decode()
        comment.refresh_from_db()
        assert comment.parent.original_id == "6" and comment.reply_inferred
        assert Comment.objects.get(original_id="9").depth == 4
        seven.refresh_from_db()
        assert seven.parent_origin == "at_name"

    def test_recorded_links_are_left_alone(self, admin_client, db):
        run_import("wordpress-theme-unit-test.xml")
        recorded = CommentSource.objects.filter(comment__parent__isnull=False)
        assert CommentSource.objects.filter(pk__in=recorded).undo_inferred_links() == 0
        assert Comment.objects.filter(parent__isnull=False).count() == 10


def test_restore_never_makes_a_comment_reply_to_its_own_deep_descendant(db):
    # Undo an inferred link, then hang the old parent 40 replies below the
    # comment: restoring must see that (beyond the 32 ids a path keeps).
    run_import(shared_file(SEED), infer_replies=True)
    seven = CommentSource.objects.get(original_id="7")
    CommentSource.objects.filter(pk=seven.pk).undo_inferred_links()
    comment = Comment.objects.get(original_id="7")
    old_parent = Comment.objects.get(original_id="6")

    def chain_below(parent, length):
        for _ in range(length):
            parent = Comment.objects.create(
                post=comment.post, parent=parent, name="R", body="r", status="approved"
            )
        return parent

    # The comment at depth 36, its old parent 40 replies below it.
    above = chain_below(None, 35)
    Comment.objects.filter(pk=comment.pk).update(parent=above)
    Comment.objects.filter(pk=old_parent.pk).update(parent=chain_below(comment, 40))
    assert comment.pk not in Comment.objects.get(pk=old_parent.pk).path  # beyond the path's reach

    assert CommentSource.objects.filter(pk=seven.pk).restore_inferred_links() == 0
    comment.refresh_from_db()
    assert comment.parent == above

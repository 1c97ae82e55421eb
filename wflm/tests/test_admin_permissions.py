"""Every admin action checks the permission it needs, not just access to the list."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from archive.models import CommentSource
from archive.tests.files import SEED, run_import, shared_file
from comments.models import Comment

pytestmark = pytest.mark.django_db


def all_actions():
    for model, model_admin in admin.site._registry.items():
        for action in model_admin.actions or []:
            function = getattr(model_admin, action) if isinstance(action, str) else action
            yield f"{model._meta.label}.{getattr(function, '__name__', action)}", function


@pytest.mark.parametrize(("name", "function"), list(all_actions()), ids=lambda value: str(value))
def test_every_action_declares_its_permissions(name, function):
    # Without allowed_permissions, Django offers an action to anyone who may view the list.
    assert getattr(function, "allowed_permissions", ()), f"{name} declares no permissions"


@pytest.fixture
def viewer(django_user_model):
    user = django_user_model.objects.create_user("viewer", "viewer@example.com", "password", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_commentsource", "view_comment", "view_post"])
    )
    client = Client()
    client.force_login(user)
    return client


def test_a_view_only_user_cannot_undo_inferred_links(viewer, db):
    run_import(shared_file(SEED), infer_replies=True)
    seven = CommentSource.objects.get(original_id="7")
    changelist = reverse("admin:archive_commentsource_changelist")
    assert "undo_inferred_links" not in viewer.get(changelist).content.decode()
    response = viewer.post(changelist, {"action": "undo_inferred_links", "_selected_action": [seven.pk]})
    assert response.status_code in (200, 302, 403)
    assert Comment.objects.get(original_id="7").parent is not None
    seven.refresh_from_db()
    assert seven.parent_origin == "at_name"


def test_a_view_only_user_cannot_moderate(viewer, post):
    comment = Comment.objects.create(
        post=post, name="Ada", email="a@example.com", body="Hi", status="pending"
    )
    changelist = reverse("admin:comments_comment_changelist")
    viewer.post(changelist, {"action": "approve", "_selected_action": [comment.pk]})
    moderate = reverse("admin:comments_comment_moderate", args=[comment.pk, "approve"])
    assert viewer.post(moderate).status_code == 403
    comment.refresh_from_db()
    assert comment.status == "pending"

from django.urls import path

from comments import own_comment, views

app_name = "comments"
urlpatterns = [
    path("form-values/", views.form_values, name="form_values"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # A commenter's own comment, for COMMENTS_EDIT_MINUTES (ids checked in the views: nonsense is a 404).
    path("<str:comment_id>/edit/", own_comment.edit_own, name="edit_own"),
    path("<str:comment_id>/delete/", own_comment.delete_own, name="delete_own"),
]

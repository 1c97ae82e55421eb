from django.urls import path, re_path

from archive import views

app_name = "archive"
urlpatterns = [
    # WordPress's numeric permalinks; other old addresses reach archive.views.not_found.
    re_path(r"^archives/(?P<original_id>[0-9]{1,18})/?$", views.archived_post, name="archived_post"),
    path("index.php", views.not_found, name="index_php"),
]

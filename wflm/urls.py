from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("comments/", include("comments.urls")),
    path("", include("posts.urls")),
    path("", include("archive.urls")),
]

# Old links to imported posts redirect before "Not found" is rendered.
handler404 = "archive.views.not_found"

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from wflm import health

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("comments/", include("comments.urls")),
    path("search/", include("search.urls")),
    path("", include("posts.urls")),
    path("", include("archive.urls")),
]

# Old links to imported posts redirect before "Not found" is rendered.
handler404 = "archive.views.not_found"
# A database error raised outside a view is a 503 too, never a 500 (wflm/middleware.py).
handler500 = "wflm.middleware.server_error"

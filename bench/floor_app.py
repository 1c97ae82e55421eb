"""The framework floor: Django's request handler answering "ok".

`gunicorn bench.floor_app:application`. Settings are configured here, not
from wflm.settings: no database, no templates, no sessions or auth; only
SecurityMiddleware and CommonMiddleware, so the figure is what Django's
WSGI handler, URL resolver and a minimal middleware stack cost per request.
"""

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-app-has-nothing-to-sign",  # noqa: S106 (signs nothing)
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
    ],
    USE_I18N=False,
)


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok)]

from django.core.wsgi import get_wsgi_application  # noqa: E402 (needs the settings above)

application = get_wsgi_application()

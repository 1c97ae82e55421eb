import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")

django_application = get_wsgi_application()

from wflm.fast_pages import FastPages  # noqa: E402 (needs the settings configured above)

# Anonymous pages answered again before Django when nothing changed (wflm/fast_pages.py).
application = FastPages(django_application)

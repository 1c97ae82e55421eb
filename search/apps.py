from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")

    def ready(self):
        post_migrate.connect(keep_site_language, sender=self, dispatch_uid="search.keep_site_language")


def keep_site_language(using, **kwargs):
    """Posts with no language of their own are searched in the site's (LANGUAGE_CODE).

    The database cannot read the settings, so every migrate (make run
    runs one at each start; a deploy runs one) tells it; when the site's
    language changed, those posts and their comments are re-stemmed.
    """
    from django.conf import settings
    from django.db import connections

    with connections[using].cursor() as cursor:
        # Not there when the search app's migrations were unapplied.
        cursor.execute("SELECT to_regprocedure('search_site_language(text)') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT search_site_language(%s)", [settings.LANGUAGE_CODE])

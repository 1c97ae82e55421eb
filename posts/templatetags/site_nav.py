"""The header's Archives list: each year with its number of posts.

One query (a GROUP BY over the published posts) when the site has changed,
none otherwise: the counts are kept in this process under the SiteVersion
they were read at. A cached page holds the list as it was rendered, so a
page-cache hit needs nothing from here.
"""

from django import template
from django.db.models import Count
from django.db.models.functions import ExtractYear

from posts.models import Post, SiteVersion

register = template.Library()

# (site version, [(year, post count), ...] newest first); replaced whole, never changed in place.
_years = (None, [])


@register.simple_tag(takes_context=True)
def archive_years(context):
    """[(year, count)], newest first, for the published posts.

    Reads the site version from the context's `site_version` when the view
    has it already (the lists: no extra query), else asks for it (one
    query); then the counts, only if that version is not the one held.
    """
    global _years
    version = context.get("site_version")
    if version is None:
        version, _ = SiteVersion.current()
    held_version, years = _years
    if held_version != version:
        # Years in the site's time zone, as the archive addresses are.
        years = list(
            Post.objects.published()
            .annotate(year_published=ExtractYear("published_at"))
            .values_list("year_published")
            .annotate(count=Count("id"))
            .order_by("-year_published")
        )
        _years = (version, years)
    return years


def clear():
    """Forget the counts held (tests: each starts from an empty process cache)."""
    global _years
    _years = (None, [])

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from posts import pagecache
from posts.models import SiteVersion
from search.models import search
from search.query import Terms

# Results per page; the same as the home page's list.
PER_PAGE = 10


@require_safe
def results(request):
    """/search/?q=: the box, and one ranked page of hits when q holds something.

    Queries: the site version (1; all on a cache hit), then see
    search.models.search (up to 3).
    """
    terms = Terms.parse(request.GET.get("q", ""))
    page_number = pagecache.page_number(request)
    version, changed_at = SiteVersion.current()

    def render():
        results = None
        if terms:
            results = search(terms, offset=(page_number - 1) * PER_PAGE, limit=PER_PAGE, now=timezone.now())
            if page_number > 1 and not results.hits:
                raise Http404("No such page of results.")
        context = {
            "terms": terms,
            "results": results,
            "page": _Page(page_number, results),
            # The header's archive list reads it from here rather than asking again.
            "site_version": version,
        }
        return TemplateResponse(request, "search/results.html", context).render()

    if not terms.cacheable:
        return pagecache.personal(render())
    # The normalised query: "miles  davis" and "miles davis" are one page.
    key = f"search:{version}:{page_number}:{terms.text}"
    return pagecache.cached_page(request, key, changed_at, render, parameters={"q", "page"})


class _Page:
    """What the template needs to link pages, from the total the search returned."""

    def __init__(self, number, results):
        self.number = number
        total = results.total if results else 0
        self.num_pages = max(1, -(-total // PER_PAGE))
        self.first = (number - 1) * PER_PAGE + 1
        self.last = self.first + len(results.hits) - 1 if results else 0

    def has_previous(self):
        return self.number > 1

    def has_next(self):
        return self.number < self.num_pages

    def previous_page_number(self):
        return self.number - 1

    def next_page_number(self):
        return self.number + 1

from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found

from archive.redirects import redirect_by_original_id, redirect_for_old_link


def not_found(request, exception=None):
    """handler404: an imported post's old address redirects (301); anything else is "Not found"."""
    return redirect_for_old_link(request) or page_not_found(request, exception)


@require_safe
def archived_post(request, original_id):
    """/archives/123: WordPress's numeric permalinks."""
    return redirect_by_original_id(request, original_id) or not_found(request)

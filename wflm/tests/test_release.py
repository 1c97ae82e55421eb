"""The release fingerprint in page cache keys (wflm/release.py)."""

import pytest

from conftest import make_post
from wflm import release


@pytest.fixture
def fresh_fingerprint():
    release.fingerprint.cache_clear()
    yield
    release.fingerprint.cache_clear()


def test_settings_that_shape_a_page_change_the_fingerprint(settings, fresh_fingerprint):
    before = release.fingerprint()
    settings.SECRET_KEY = "another secret that shows in no page"  # noqa: S105
    release.fingerprint.cache_clear()
    assert release.fingerprint() == before
    settings.COMMENTS_PER_PAGE = 7
    release.fingerprint.cache_clear()
    assert release.fingerprint() != before


@pytest.mark.django_db
def test_a_new_release_is_a_new_page_and_etag(client, settings, fresh_fingerprint):
    post = make_post()
    first = client.get(post.get_absolute_url())
    settings.COMMENTS_PER_PAGE = 7  # as after a restart with another setting
    release.fingerprint.cache_clear()
    second = client.get(post.get_absolute_url(), HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]

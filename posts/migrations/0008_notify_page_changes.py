"""Tell listening app processes when posts change (posts/stamps.py).

Every comment write updates its post (0003/0005), so one statement-level
trigger on posts covers comments too. The payload is empty: listeners drop
everything they remember, and PostgreSQL folds a transaction's identical
notifications into one.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION posts_notify_page_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wflm_page_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_post_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_notify_page_changes();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_post_notify ON posts_post;
DROP FUNCTION IF EXISTS posts_notify_page_changes();
"""


class Migration(migrations.Migration):
    dependencies = [("posts", "0007_site_version_on_deletes_only")]

    operations = [migrations.RunSQL(CREATE, DROP)]

"""The database bumps page versions, so no writer can forget to.

After any statement that inserts, updates or deletes comments, each
touched post gets thread_version + 1 and thread_changed_at = now, and the
site version (the one row of posts_siteversion) goes up; any write to
posts bumps the site version too. Statement-level triggers with transition
tables: a bulk import of 100,000 comments bumps once per statement, not
once per row.
"""

from django.db import migrations

CREATE = r"""
INSERT INTO posts_siteversion (id, version, changed_at) VALUES (1, 0, now())
    ON CONFLICT (id) DO NOTHING;

CREATE FUNCTION posts_bump_site_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- An upsert: a flushed table (as between some tests) starts again.
    INSERT INTO posts_siteversion (id, version, changed_at) VALUES (1, 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE
        SET version = posts_siteversion.version + 1, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_bump_thread_versions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE posts_post SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp()
         WHERE id IN (SELECT DISTINCT post_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE posts_post SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp()
         WHERE id IN (SELECT post_id FROM new_rows UNION SELECT post_id FROM old_rows);
    ELSE
        UPDATE posts_post SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp()
         WHERE id IN (SELECT DISTINCT post_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_comment_inserted AFTER INSERT ON comments_comment
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_thread_versions();
CREATE TRIGGER posts_comment_updated AFTER UPDATE ON comments_comment
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_thread_versions();
CREATE TRIGGER posts_comment_deleted AFTER DELETE ON comments_comment
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_thread_versions();

CREATE TRIGGER posts_post_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_comment_inserted ON comments_comment;
DROP TRIGGER IF EXISTS posts_comment_updated ON comments_comment;
DROP TRIGGER IF EXISTS posts_comment_deleted ON comments_comment;
DROP TRIGGER IF EXISTS posts_post_changed ON posts_post;
DROP FUNCTION IF EXISTS posts_bump_thread_versions();
DROP FUNCTION IF EXISTS posts_bump_site_version();
DELETE FROM posts_siteversion;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0002_page_versions_fields"),
        ("comments", "0002_thread_trigger"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]

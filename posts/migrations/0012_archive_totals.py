"""The archive's size ("1,245 posts, 38,112 responses") kept as totals.

Counting and summing every published post on each home page render was
the one sequential scan left at 1,000,000 comments. posts_siteversion's
row now also holds the number of posts and the sum of their response
counts, all posts, scheduled ones included; the home page subtracts the
scheduled ones (an index range on published_at, usually empty), since a
post whose time comes is no write.

The totals move with the site version, in the same deferred constraint
trigger (0010): each row event of a transaction adds its difference at the
transaction's COMMIT, so the one row is still locked only for the moment
of the commit, and a concurrent commit waits for it and adds to the new
value (READ COMMITTED). A TRUNCATE of posts_post sets them to zero.
"""

from django.db import migrations, models

CREATE = r"""
CREATE OR REPLACE FUNCTION posts_bump_site_version_once() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added_posts bigint := CASE TG_OP WHEN 'INSERT' THEN 1 WHEN 'DELETE' THEN -1 ELSE 0 END;
    added_responses bigint := CASE TG_OP
        WHEN 'INSERT' THEN NEW.response_count
        WHEN 'DELETE' THEN -OLD.response_count
        ELSE NEW.response_count - OLD.response_count END;
BEGIN
    -- Once per transaction, however many rows it wrote: deferred, these
    -- all run in its COMMIT statement. (Made IMMEDIATE, as in the tests'
    -- never-committed transactions, once per statement.)
    IF current_setting('wflm.site_version_bumped', true)
       IS DISTINCT FROM txid_current() || ' ' || statement_timestamp() THEN
        PERFORM set_config('wflm.site_version_bumped', txid_current() || ' ' || statement_timestamp(), true);
        INSERT INTO posts_siteversion (id, version, changed_at)
            VALUES (1, nextval('posts_version_seq'), clock_timestamp())
            ON CONFLICT (id) DO UPDATE
            SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    END IF;
    -- Every event, each its own difference (a row updated twice gives two
    -- events whose differences add up).
    IF added_posts <> 0 OR added_responses <> 0 THEN
        UPDATE posts_siteversion
           SET posts_total = posts_total + added_posts, responses_total = responses_total + added_responses
         WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_siteversion (id, version, changed_at, posts_total, responses_total)
        VALUES (1, nextval('posts_version_seq'), clock_timestamp(), 0, 0)
        ON CONFLICT (id) DO UPDATE
        SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at, posts_total = 0, responses_total = 0;
    RETURN NULL;
END
$$;

DROP TRIGGER posts_post_truncated ON posts_post;
CREATE TRIGGER posts_post_truncated AFTER TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_truncated();

INSERT INTO posts_siteversion (id, version, changed_at, posts_total, responses_total)
SELECT 1, nextval('posts_version_seq'), clock_timestamp(), count(*), coalesce(sum(response_count), 0)
  FROM posts_post
ON CONFLICT (id) DO UPDATE
   SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at,
       posts_total = EXCLUDED.posts_total, responses_total = EXCLUDED.responses_total;
"""

DROP = r"""
DROP TRIGGER posts_post_truncated ON posts_post;
CREATE TRIGGER posts_post_truncated AFTER TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
DROP FUNCTION posts_truncated();
CREATE OR REPLACE FUNCTION posts_bump_site_version_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('wflm.site_version_bumped', true)
       IS DISTINCT FROM txid_current() || ' ' || statement_timestamp() THEN
        PERFORM set_config('wflm.site_version_bumped', txid_current() || ' ' || statement_timestamp(), true);
        INSERT INTO posts_siteversion (id, version, changed_at)
            VALUES (1, nextval('posts_version_seq'), clock_timestamp())
            ON CONFLICT (id) DO UPDATE
            SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    END IF;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("posts", "0011_post_language")]

    operations = [
        migrations.AddField(
            model_name="siteversion",
            name="posts_total",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.AddField(
            model_name="siteversion",
            name="responses_total",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]

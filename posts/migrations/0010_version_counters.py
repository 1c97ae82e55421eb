"""Page and list versions are counters the database bumps, never write times.

A key made of write times misses changes: a transaction that commits after
a later one (its timestamps are older than what readers already saw), a
server whose clock is behind, or an UPDATE that sets no timestamp (a
queryset's update()). Counters have none of these faults:

- posts_post.page_version takes a new value on every INSERT and UPDATE of
  the row (a BEFORE trigger, inside the row lock the writer holds anyway),
  whatever the writer sent: the post page's key. Comment writes reach it through the
  thread triggers (0003, 0005), tags through 0009.
- posts_siteversion.version goes up once per transaction that writes
  posts (inserts, updates, deletes), at its commit: a deferred constraint
  trigger. The one row is locked only for the moment of the commit, so a
  long import no longer makes every commenter wait for it (why 0007 had
  moved the lists to maxima), and readers see the new version exactly
  when they can see the new rows. TRUNCATE keeps its statement trigger.

Both take their values from one sequence, posts_version_seq, which no
TRUNCATE, flush or restore winds back: a version is never used twice, so a
page kept from before a restore (in Redis, in a CDN) is never taken for
one made after it.
"""

from django.db import migrations, models

CREATE = r"""
CREATE SEQUENCE posts_version_seq;

CREATE FUNCTION posts_bump_page_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.page_version := nextval('posts_version_seq');
    RETURN NEW;
END
$$;
CREATE TRIGGER posts_post_page_version BEFORE INSERT OR UPDATE ON posts_post
    FOR EACH ROW EXECUTE FUNCTION posts_bump_page_version();

CREATE OR REPLACE FUNCTION posts_bump_site_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_siteversion (id, version, changed_at) VALUES (1, nextval('posts_version_seq'), clock_timestamp())
        ON CONFLICT (id) DO UPDATE
        SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_bump_site_version_once() RETURNS trigger
LANGUAGE plpgsql AS $$
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
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS posts_post_deleted ON posts_post;
CREATE CONSTRAINT TRIGGER posts_post_site_version AFTER INSERT OR UPDATE OR DELETE ON posts_post
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION posts_bump_site_version_once();
CREATE TRIGGER posts_post_truncated AFTER TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_post_truncated ON posts_post;
DROP TRIGGER IF EXISTS posts_post_site_version ON posts_post;
DROP FUNCTION IF EXISTS posts_bump_site_version_once();
DROP TRIGGER IF EXISTS posts_post_page_version ON posts_post;
DROP FUNCTION IF EXISTS posts_bump_page_version();
DROP SEQUENCE IF EXISTS posts_version_seq;
CREATE OR REPLACE FUNCTION posts_bump_site_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO posts_siteversion (id, version, changed_at) VALUES (1, 1, clock_timestamp())
        ON CONFLICT (id) DO UPDATE
        SET version = posts_siteversion.version + 1, changed_at = EXCLUDED.changed_at;
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_post_deleted AFTER DELETE OR TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""


class Migration(migrations.Migration):
    dependencies = [("posts", "0009_tags_and_artist_slug")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="page_version",
            field=models.BigIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]

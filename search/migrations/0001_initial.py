"""Full-text and substring search columns and indexes (see docs/search.md).

The database keeps them, so every write (the site, the admin, an import's
COPY, the shell) keeps them right: comments_comment.search_vector is a
GENERATED ... STORED column (it refuses values); a post's vectors and
folded text are in search_post, written by a trigger on posts_post.

- wflm_unaccent: a copy of the `simple` configuration whose words pass
  through `unaccent` first, so "échafaud" and "echafaud" are one lexeme,
  in the columns, in queries and in ts_headline. One configuration for
  every language for now (issue 13 picks per-language ones).
- search_post_vector / search_comment_vector: title and artist weigh A,
  album B, body (tags stripped) and excerpt C; a comment's body D and its
  author's name C (search/models.py ranks comments' C below their D).
- search_post.search_heading: title, artist and album only, so a heading
  match can be found through its own small index.
- search_post.search_text and an index on search_comment_text (comments):
  search_fold of the same fields, for the trigram indexes.
- search_fold: lower-cased, unaccented text, with
  two filler letters after each character of a script written without
  spaces (Chinese, Japanese, Korean, Thai, ...): pg_trgm needs three
  characters, and a Chinese word is often two ("喜欢"), even one.
- Functions use SQL-standard bodies (RETURN ...): names are resolved when
  they are created, so pg_restore's empty search_path finds them.

Both extensions are "trusted" (PostgreSQL 13+): a database owner without
superuser rights may create them.
"""

from django.db import migrations

# Keep in step with search.query.UNSPACED (search/tests/test_search.py checks).
UNSPACED_CLASS = r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"

CREATE = rf"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TEXT SEARCH CONFIGURATION wflm_unaccent (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION wflm_unaccent
    ALTER MAPPING FOR word, hword, hword_part, numword, numhword, hword_numpart WITH unaccent, simple;

-- unaccent() is STABLE (its dictionary could be changed); the rules file
-- does not change under a running site, so this wrapper may be IMMUTABLE
-- and used in indexes.
CREATE FUNCTION immutable_unaccent(regdictionary, text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN unaccent($1, $2);

CREATE FUNCTION search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace(lower(immutable_unaccent('unaccent'::regdictionary, $1)), '({UNSPACED_CLASS})', '\1qq', 'g');

CREATE FUNCTION search_strip_tags(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace($1, '<[^>]*>', ' ', 'g');

CREATE FUNCTION search_post_vector(title text, artist text, album text, body text, excerpt text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('wflm_unaccent', coalesce(title, '')), 'A')
        || setweight(to_tsvector('wflm_unaccent', coalesce(artist, '')), 'A')
        || setweight(to_tsvector('wflm_unaccent', coalesce(album, '')), 'B')
        || setweight(to_tsvector('wflm_unaccent', coalesce(search_strip_tags(body), '') || ' ' || coalesce(excerpt, '')), 'C');

-- The heading alone (same weights): posts whose heading matches are
-- listed before those matching only in their body (search/models.py).
CREATE FUNCTION search_post_heading_vector(title text, artist text, album text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('wflm_unaccent', coalesce(title, '')), 'A')
        || setweight(to_tsvector('wflm_unaccent', coalesce(artist, '')), 'A')
        || setweight(to_tsvector('wflm_unaccent', coalesce(album, '')), 'B');

CREATE FUNCTION search_post_text(title text, artist text, album text, body text, excerpt text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN search_fold(concat_ws(' ', title, artist, album, search_strip_tags(body), excerpt));

CREATE FUNCTION search_comment_vector(body text, name text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('wflm_unaccent', coalesce(body, '')), 'D')
        || setweight(to_tsvector('wflm_unaccent', coalesce(name, '')), 'C');

CREATE FUNCTION search_comment_text(body text, name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN search_fold(concat_ws(' ', body, name));

-- Posts' search columns live in their own table, kept by a trigger on the
-- fields they come from: every comment written updates its post's row
-- (thread version, counters), and with GIN indexes on posts_post each
-- such update would re-index the whole post (about 2 ms a comment).
CREATE TABLE search_post (
    post_id bigint PRIMARY KEY,
    search_vector tsvector NOT NULL,
    search_heading tsvector NOT NULL,
    search_text text NOT NULL
);

-- SET search_path FROM CURRENT: found whatever path the writer runs with.
CREATE FUNCTION search_post_index() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_post WHERE post_id = OLD.id;
        RETURN NULL;
    END IF;
    INSERT INTO search_post (post_id, search_vector, search_heading, search_text)
    VALUES (NEW.id,
            search_post_vector(NEW.title, NEW.artist, NEW.album, NEW.body, NEW.excerpt),
            search_post_heading_vector(NEW.title, NEW.artist, NEW.album),
            search_post_text(NEW.title, NEW.artist, NEW.album, NEW.body, NEW.excerpt))
    ON CONFLICT (post_id) DO UPDATE
        SET search_vector = EXCLUDED.search_vector,
            search_heading = EXCLUDED.search_heading,
            search_text = EXCLUDED.search_text;
    RETURN NULL;
END
$$;

-- UPDATE OF: the triggers that bump a post's thread version never set these.
CREATE TRIGGER search_post_index AFTER INSERT OR DELETE OR UPDATE OF title, artist, album, body, excerpt
    ON posts_post FOR EACH ROW EXECUTE FUNCTION search_post_index();

INSERT INTO search_post (post_id, search_vector, search_heading, search_text)
SELECT id, search_post_vector(title, artist, album, body, excerpt), search_post_heading_vector(title, artist, album),
       search_post_text(title, artist, album, body, excerpt)
  FROM posts_post;

ALTER TABLE comments_comment ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (search_comment_vector(body, name)) STORED;

-- /search/: words (websearch_to_tsquery) ...
CREATE INDEX search_post_fts_idx ON search_post USING gin (search_vector);
CREATE INDEX search_post_heading_idx ON search_post USING gin (search_heading);
CREATE INDEX search_comment_fts_idx ON comments_comment USING gin (search_vector)
    WHERE status = 'approved' AND kind = 'comment';
-- ... and substrings (LIKE on search_fold: Chinese, Japanese, ...).
CREATE INDEX search_post_trgm_idx ON search_post USING gin (search_text gin_trgm_ops);
CREATE INDEX search_comment_trgm_idx ON comments_comment
    USING gin (search_comment_text(body, name) gin_trgm_ops)
    WHERE status = 'approved' AND kind = 'comment';
"""  # noqa: S608 (this module's constants only)

# The extensions stay: something else may use them.
DROP = """
DROP INDEX IF EXISTS search_comment_trgm_idx;
DROP INDEX IF EXISTS search_post_trgm_idx;
DROP INDEX IF EXISTS search_comment_fts_idx;
DROP INDEX IF EXISTS search_post_heading_idx;
DROP INDEX IF EXISTS search_post_fts_idx;
ALTER TABLE comments_comment DROP COLUMN IF EXISTS search_vector;
DROP TRIGGER IF EXISTS search_post_index ON posts_post;
DROP FUNCTION IF EXISTS search_post_index();
DROP TABLE IF EXISTS search_post;
DROP FUNCTION IF EXISTS search_comment_text(text, text);
DROP FUNCTION IF EXISTS search_comment_vector(text, text);
DROP FUNCTION IF EXISTS search_post_text(text, text, text, text, text);
DROP FUNCTION IF EXISTS search_post_heading_vector(text, text, text);
DROP FUNCTION IF EXISTS search_post_vector(text, text, text, text, text);
DROP FUNCTION IF EXISTS search_strip_tags(text);
DROP FUNCTION IF EXISTS search_fold(text);
DROP FUNCTION IF EXISTS immutable_unaccent(regdictionary, text);
DROP TEXT SEARCH CONFIGURATION IF EXISTS wflm_unaccent;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0008_notify_page_changes"),
        ("comments", "0007_submission_key"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]

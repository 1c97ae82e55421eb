"""Words stemmed in the content's own language (issue 13; docs/search.md).

0001's vectors use wflm_unaccent (`simple`: every word as written, no
stop words) for every post and comment. Each row now also gets its words
stemmed in its post's language when PostgreSQL has a configuration for it
(french, german, spanish, turkish, english and the others PostgreSQL
ships), so "trompettes" finds "trompette" and "runs" finds "running",
while names, titles and "The Who" are still found as written. A language
without a configuration (Chinese, Japanese, ...) keeps the words as
written plus the trigrams.

Both go into one vector per row, search_words: per field, the stems
tagged with their configuration ('trompet' from a French post is stored
as 'french:trompet'), then the words the configuration drops as stop
words, as written; positions and weights kept. A query is the words as written
OR'ed with the same words stemmed and tagged for each language in use, so
one GIN index serves it (separate vectors OR'ed in SQL made the planner
read tables in order), a row only ever matches its own language's stems
("chanter", French stem "chant", never matches an English post's
"Gregorian chant" through them), and any word a row holds is found: its
own configuration stems it alike in the query.

- search_language: a language's primary subtag ("fr" for "fr-CA") and its
  configuration, one row per configuration this server has, plus the row
  '' for posts with no language of their own, which are in the site's
  (LANGUAGE_CODE: search/apps.py keeps that row after every migrate).
- wflm_<name>: a copy of PostgreSQL's <name> configuration whose words
  with letters outside ASCII pass through unaccent first, as wflm_unaccent
  does: "élevé" and "eleve" reach the stemmer as one word. Its twin
  wflm_<name>_kept keeps the words as written less that stemmer's stop
  words (a `simple` dictionary wflm_stop_<list> with the same list), which
  tells apart the stop words to keep as written.
- search_post.config, .search_words, .search_heading_words: kept by
  search_post_index (now also on UPDATE OF language).
- comments_comment.search_config, .search_words: kept by a BEFORE trigger
  from the post's row in search_post; a post's change of language re-keeps
  its comments.
- search_words replaces 0001's vectors of the words as written
  (search_post.search_vector and .search_heading, the comments' generated
  search_vector) and their indexes: kept beside it, they made the comments
  table half as big again for nothing.
"""

from django.db import migrations

# A language's primary subtag and PostgreSQL's configuration for it (those
# missing from the server, e.g. armenian before PostgreSQL 16, are skipped).
CONFIGURATIONS = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}

_PAIRS = ", ".join(f"('{code}', '{name}')" for code, name in CONFIGURATIONS.items())

CREATE = rf"""
-- Configurations by name (text): pg_upgrade refuses regconfig columns,
-- whose oids it does not keep; a name casts to regconfig where used.
CREATE TABLE search_language (
    language text PRIMARY KEY,
    config text NOT NULL
);

DO $$
DECLARE
    pair record;
    token text;
    dictionaries text;
    stop_file text;
BEGIN
    FOR pair IN
        SELECT DISTINCT code, name FROM (VALUES {_PAIRS}) AS p (code, name)
         WHERE EXISTS (SELECT 1 FROM pg_ts_config c
                        WHERE c.cfgname = p.name AND c.cfgnamespace = 'pg_catalog'::regnamespace)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'wflm_' || pair.name) THEN
            EXECUTE format('CREATE TEXT SEARCH CONFIGURATION %I (COPY = pg_catalog.%I)', 'wflm_' || pair.name, pair.name);
            -- Tokens with letters outside ASCII: unaccent, then the
            -- dictionaries the original configuration uses for them.
            FOREACH token IN ARRAY ARRAY['word', 'hword', 'hword_part'] LOOP
                SELECT string_agg(format('%I.%I', d.dictnamespace::regnamespace, d.dictname), ', ' ORDER BY m.mapseqno)
                  INTO dictionaries
                  FROM pg_ts_config_map m
                  JOIN pg_ts_config c ON c.oid = m.mapcfg
                  JOIN pg_ts_dict d ON d.oid = m.mapdict
                 WHERE c.cfgname = pair.name AND c.cfgnamespace = 'pg_catalog'::regnamespace
                   AND m.maptokentype = (SELECT tokid FROM ts_token_type('default') WHERE alias = token);
                IF dictionaries IS NOT NULL THEN
                    EXECUTE format('ALTER TEXT SEARCH CONFIGURATION %I ALTER MAPPING FOR %s WITH unaccent, %s',
                                   'wflm_' || pair.name, token, dictionaries);
                END IF;
            END LOOP;
            -- wflm_<name>_kept: the same words as written, less the
            -- stop words the stemmer's dictionary drops for each token
            -- type (search_field_words keeps those as written).
            EXECUTE format('CREATE TEXT SEARCH CONFIGURATION %I (COPY = wflm_unaccent)', 'wflm_' || pair.name || '_kept');
            FOREACH token IN ARRAY ARRAY['asciiword', 'asciihword', 'hword_asciipart', 'word', 'hword', 'hword_part'] LOOP
                SELECT substring(d.dictinitoption FROM $re$stopwords = '([^']+)'$re$)
                  INTO stop_file
                  FROM pg_ts_config_map m
                  JOIN pg_ts_config c ON c.oid = m.mapcfg
                  JOIN pg_ts_dict d ON d.oid = m.mapdict
                 WHERE c.cfgname = pair.name AND c.cfgnamespace = 'pg_catalog'::regnamespace
                   AND m.maptokentype = (SELECT tokid FROM ts_token_type('default') WHERE alias = token)
                   AND d.dictinitoption LIKE '%stopwords%'
                 LIMIT 1;
                IF stop_file IS NOT NULL THEN
                    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'wflm_stop_' || stop_file) THEN
                        EXECUTE format('CREATE TEXT SEARCH DICTIONARY %I (TEMPLATE = pg_catalog.simple, STOPWORDS = %L)',
                                       'wflm_stop_' || stop_file, stop_file);
                    END IF;
                    EXECUTE format('ALTER TEXT SEARCH CONFIGURATION %I ALTER MAPPING FOR %s WITH %s%I',
                                   'wflm_' || pair.name || '_kept', token,
                                   CASE WHEN token LIKE '%ascii%' THEN '' ELSE 'unaccent, ' END, 'wflm_stop_' || stop_file);
                END IF;
            END LOOP;
        END IF;
        INSERT INTO search_language (language, config) VALUES (pair.code, 'wflm_' || pair.name);
    END LOOP;
END
$$;

-- "fr-CA", "FR", "pt_BR" -> "fr", "fr", "pt".
CREATE FUNCTION search_language_key(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(split_part(replace(coalesce($1, ''), '_', '-'), '-', 1));

-- A language's configuration name; NULL: none (words as written and trigrams only).
CREATE FUNCTION search_language_config(text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT l.config FROM search_language l WHERE l.language = search_language_key($1));

-- What ts_headline marks matches with: the stemmer when there is one.
CREATE FUNCTION search_headline_config(text) RETURNS regconfig
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN coalesce(search_language_config($1), 'wflm_unaccent')::regconfig;

-- A configuration's tag on its stems: "wflm_french" -> "french".
CREATE FUNCTION search_config_tag(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace($1, '^wflm_', '');

-- Each quoted lexeme of a tsquery's text ('it''s' & !'b') prefixed with a
-- tag and a colon; operators kept.
CREATE FUNCTION search_tag_lexemes(text, text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN regexp_replace($1, $re$'((?:[^']|'')*)'$re$, '''' || $2 || ':\1''', 'g');

-- The same for a tsvector, on every comment written, so without a regular
-- expression: its text is 'a':1 'b':2,3A, and a lexeme holds no space, so
-- every quote after a space opens one. (When the count says otherwise,
-- the regular expression.)
CREATE FUNCTION search_tagged_vector(tag text, vector tsvector) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN CASE
        WHEN length(vector) = 0 THEN vector
        WHEN length(vector) = 1 + (length(vector::text) - length(replace(vector::text, ' ''', ''))) / 2
            THEN ('''' || tag || ':' || replace(substr(vector::text, 2), ' ''', ' ''' || tag || ':'))::tsvector
        ELSE search_tag_lexemes(vector::text, tag)::tsvector
        END;

-- The reader's words stemmed as config does, tagged as its rows' stems are.
CREATE FUNCTION search_tagged_query(config regconfig, tag text, words text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN search_tag_lexemes(websearch_to_tsquery(config, words)::text, tag)::tsquery;

-- A stemmed field's words: its stems, tagged, then the words the stemmer
-- drops (its stop words: "the", "who"), as written: those of as_written
-- that kept, the field in the configuration's _kept twin, lacks.
CREATE FUNCTION search_stemmed_field_words(tag text, stemmed tsvector, as_written tsvector, kept tsvector)
    RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN search_tagged_vector(tag, stemmed) || ts_delete(as_written, tsvector_to_array(kept));

-- One field's words, with its weight. Without a configuration: as written.
-- With one: search_stemmed_field_words. Every other word needs no copy as
-- written: a query is also stemmed by each configuration in use, the
-- row's own included, and a word stems the same in the query as in the
-- row. (Per field: each field's positions start where the last one's
-- ended. Through search_stemmed_field_words, each to_tsvector runs once.)
CREATE FUNCTION search_field_words(config text, field text, weight "char") RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN setweight(CASE
        WHEN config IS NULL THEN to_tsvector('wflm_unaccent', coalesce(field, ''))
        ELSE search_stemmed_field_words(search_config_tag(config),
                                        to_tsvector(config::regconfig, coalesce(field, '')),
                                        to_tsvector('wflm_unaccent', coalesce(field, '')),
                                        to_tsvector((config || '_kept')::regconfig, coalesce(field, '')))
        END, weight);

-- config: a configuration's name, or NULL (words as written only). The
-- weights of 0001's vectors: title and artist A, album B, text C; a
-- comment's body D and its author's name C. Names (the artist, the
-- commenter) are kept as written in every language: "Davis" is no form of
-- "davi", and a name is searched as it is spelt.
CREATE FUNCTION search_post_words(config text, title text, artist text, album text, body text, excerpt text)
    RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN search_field_words(config, title, 'A') || search_field_words(NULL, artist, 'A')
        || search_field_words(config, album, 'B')
        || search_field_words(config, coalesce(search_strip_tags(body), '') || ' ' || coalesce(excerpt, ''), 'C');

CREATE FUNCTION search_post_heading_words(config text, title text, artist text, album text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN search_field_words(config, title, 'A') || search_field_words(NULL, artist, 'A')
        || search_field_words(config, album, 'B');

ALTER TABLE search_post
    ADD COLUMN config text,
    ADD COLUMN search_words tsvector,
    ADD COLUMN search_heading_words tsvector;

ALTER TABLE comments_comment
    ADD COLUMN search_config text,
    ADD COLUMN search_words tsvector;

CREATE OR REPLACE FUNCTION search_post_index() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    content_config text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_post WHERE post_id = OLD.id;
        RETURN NULL;
    END IF;
    content_config := search_language_config(NEW.language);
    INSERT INTO search_post (post_id, search_text, config, search_words, search_heading_words)
    VALUES (NEW.id,
            search_post_text(NEW.title, NEW.artist, NEW.album, NEW.body, NEW.excerpt),
            content_config,
            search_post_words(content_config, NEW.title, NEW.artist, NEW.album, NEW.body, NEW.excerpt),
            search_post_heading_words(content_config, NEW.title, NEW.artist, NEW.album))
    ON CONFLICT (post_id) DO UPDATE
        SET search_text = EXCLUDED.search_text,
            config = EXCLUDED.config,
            search_words = EXCLUDED.search_words,
            search_heading_words = EXCLUDED.search_heading_words;
    IF TG_OP = 'UPDATE' AND OLD.language IS DISTINCT FROM NEW.language THEN
        -- search_comment_language reads the post's new configuration.
        UPDATE comments_comment SET search_config = content_config
         WHERE post_id = NEW.id AND search_config IS DISTINCT FROM content_config;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER search_post_index ON posts_post;
CREATE TRIGGER search_post_index AFTER INSERT OR DELETE OR UPDATE OF title, artist, album, body, excerpt, language
    ON posts_post FOR EACH ROW EXECUTE FUNCTION search_post_index();

-- Every comment written (the site, the admin, an import's COPY) takes its
-- post's configuration, and its words as search_field_words makes them:
-- the body (D) stemmed with its stop words as written ("So What" is a
-- tune), the name (C) as written. (Keeping the stop words costs two more
-- passes over the text: an import of 30,000 comments took 18 s with them,
-- 14 s without, 9 s with no search trigger at all.)
CREATE FUNCTION search_comment_language() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    NEW.search_config := (SELECT d.config FROM search_post d WHERE d.post_id = NEW.post_id);
    NEW.search_words := search_field_words(NEW.search_config, NEW.body, 'D')
        || search_field_words(NULL, NEW.name, 'C');
    RETURN NEW;
END
$$;

-- (UPDATE OF search_words too: a write to the column is recomputed, never kept.)
CREATE TRIGGER search_comment_language BEFORE INSERT OR UPDATE OF body, name, post_id, search_config, search_words
    ON comments_comment FOR EACH ROW EXECUTE FUNCTION search_comment_language();

-- Posts (and then their comments) whose configuration is not the one their
-- language has now: after the site's language changed.
CREATE FUNCTION search_languages_refresh() RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE search_post d
       SET config = p.config,
           search_words = search_post_words(p.config, p.title, p.artist, p.album, p.body, p.excerpt),
           search_heading_words = search_post_heading_words(p.config, p.title, p.artist, p.album)
      FROM (SELECT id, title, artist, album, body, excerpt, search_language_config(language) AS config
              FROM posts_post) p
     WHERE p.id = d.post_id AND d.config IS DISTINCT FROM p.config;
    UPDATE comments_comment c SET search_config = d.config
      FROM search_post d
     WHERE d.post_id = c.post_id AND c.search_config IS DISTINCT FROM d.config;
END
$$;

-- The site's language (LANGUAGE_CODE) for posts with none of their own;
-- true when that changed what they are searched in.
CREATE FUNCTION search_site_language(text) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    wanted text := (SELECT config FROM search_language
                          WHERE language = search_language_key($1) AND language <> '');
    current_config text := (SELECT config FROM search_language WHERE language = '');
BEGIN
    IF wanted IS NOT DISTINCT FROM current_config THEN
        RETURN false;
    END IF;
    DELETE FROM search_language WHERE language = '';
    IF wanted IS NOT NULL THEN
        INSERT INTO search_language (language, config) VALUES ('', wanted);
    END IF;
    PERFORM search_languages_refresh();
    RETURN true;
END
$$;

-- 0001's vectors of the words as written are part of search_words now.
DROP INDEX search_post_fts_idx;
DROP INDEX search_post_heading_idx;
DROP INDEX search_comment_fts_idx;
ALTER TABLE search_post DROP COLUMN search_vector, DROP COLUMN search_heading;
ALTER TABLE comments_comment DROP COLUMN search_vector;

-- Every row once: the triggers compute the new columns.
UPDATE posts_post SET language = language;
UPDATE comments_comment SET search_config = NULL;
ALTER TABLE search_post ALTER COLUMN search_words SET NOT NULL, ALTER COLUMN search_heading_words SET NOT NULL;

CREATE INDEX search_post_config_idx ON search_post (config);
CREATE INDEX search_post_words_idx ON search_post USING gin (search_words);
CREATE INDEX search_post_heading_words_idx ON search_post USING gin (search_heading_words);
CREATE INDEX search_comment_words_idx ON comments_comment USING gin (search_words)
    WHERE status = 'approved' AND kind = 'comment';
"""  # noqa: S608 (this module's constants only)

DROP = r"""
DROP INDEX IF EXISTS search_comment_words_idx;
DROP INDEX IF EXISTS search_post_heading_words_idx;
DROP INDEX IF EXISTS search_post_words_idx;
DROP INDEX IF EXISTS search_post_config_idx;
ALTER TABLE comments_comment ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (search_comment_vector(body, name)) STORED;
ALTER TABLE search_post ADD COLUMN search_vector tsvector, ADD COLUMN search_heading tsvector;
UPDATE search_post d
   SET search_vector = search_post_vector(p.title, p.artist, p.album, p.body, p.excerpt),
       search_heading = search_post_heading_vector(p.title, p.artist, p.album)
  FROM posts_post p WHERE p.id = d.post_id;
ALTER TABLE search_post ALTER COLUMN search_vector SET NOT NULL, ALTER COLUMN search_heading SET NOT NULL;
CREATE INDEX search_post_fts_idx ON search_post USING gin (search_vector);
CREATE INDEX search_post_heading_idx ON search_post USING gin (search_heading);
CREATE INDEX search_comment_fts_idx ON comments_comment USING gin (search_vector)
    WHERE status = 'approved' AND kind = 'comment';
DROP FUNCTION IF EXISTS search_site_language(text);
DROP FUNCTION IF EXISTS search_languages_refresh();
DROP TRIGGER IF EXISTS search_comment_language ON comments_comment;
DROP FUNCTION IF EXISTS search_comment_language();
DROP TRIGGER search_post_index ON posts_post;
CREATE OR REPLACE FUNCTION search_post_index() RETURNS trigger
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
CREATE TRIGGER search_post_index AFTER INSERT OR DELETE OR UPDATE OF title, artist, album, body, excerpt
    ON posts_post FOR EACH ROW EXECUTE FUNCTION search_post_index();
ALTER TABLE comments_comment DROP COLUMN IF EXISTS search_words, DROP COLUMN IF EXISTS search_config;
ALTER TABLE search_post DROP COLUMN IF EXISTS search_heading_words, DROP COLUMN IF EXISTS search_words,
    DROP COLUMN IF EXISTS config;
DROP FUNCTION IF EXISTS search_post_heading_words(text, text, text, text);
DROP FUNCTION IF EXISTS search_post_words(text, text, text, text, text, text);
DROP FUNCTION IF EXISTS search_field_words(text, text, "char");
DROP FUNCTION IF EXISTS search_stemmed_field_words(text, tsvector, tsvector, tsvector);
DROP FUNCTION IF EXISTS search_tagged_query(regconfig, text, text);
DROP FUNCTION IF EXISTS search_tagged_vector(text, tsvector);
DROP FUNCTION IF EXISTS search_tag_lexemes(text, text);
DROP FUNCTION IF EXISTS search_config_tag(text);
DROP FUNCTION IF EXISTS search_headline_config(text);
DROP FUNCTION IF EXISTS search_language_config(text);
DROP FUNCTION IF EXISTS search_language_key(text);
DROP TABLE IF EXISTS search_language;
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE 'wflm\_%' AND cfgname <> 'wflm_unaccent' LOOP
        EXECUTE format('DROP TEXT SEARCH CONFIGURATION %I', name);
    END LOOP;
    FOR name IN SELECT dictname FROM pg_ts_dict WHERE dictname LIKE 'wflm\_stop\_%' LOOP
        EXECUTE format('DROP TEXT SEARCH DICTIONARY %I', name);
    END LOOP;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("posts", "0011_post_language"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]

"""The database computes each comment's place in its thread.

On insert: depth = parent's depth + 1 and path = parent's path + own id,
so ordering a post's comments by path lists every reply after its parent
and siblings oldest first. The parent must belong to the same post (the
form checks this too; here the database enforces it for every writer:
admin, importers, shell).

A path holds at most 32 ids. A reply deeper than that is sorted as the
latest sibling at depth 32, in the order replies were written: that is
how deep replies are shown anyway (at the display depth, "in reply to
<name>"), and it keeps a 5,000-deep chain at 32 ids a row instead of
5,000 (quadratic storage).

Changing a comment's parent moves its whole subtree; a comment never moves
to another post, nor under one of its own replies.
"""

from django.db import migrations

MAX_PATH_LENGTH = 32

CREATE = r"""
CREATE FUNCTION comments_capped_path(path bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN cardinality(path) <= MAX_PATH_LENGTH THEN path
                ELSE path[1:MAX_PATH_LENGTH - 1] || path[cardinality(path)] END
$$;

CREATE FUNCTION comments_comment_thread() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    parent_post bigint;
    parent_path bigint[];
    parent_depth integer;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.post_id <> OLD.post_id THEN
        RAISE EXCEPTION 'comment % cannot move to another post', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.parent_id IS NULL THEN
        NEW.path := ARRAY[NEW.id];
        NEW.depth := 1;
    ELSE
        SELECT post_id, path, depth INTO parent_post, parent_path, parent_depth
            FROM comments_comment WHERE id = NEW.parent_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'parent comment % does not exist', NEW.parent_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF parent_post <> NEW.post_id THEN
            RAISE EXCEPTION 'parent comment % belongs to another post', NEW.parent_id
                USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND EXISTS (
            WITH RECURSIVE ancestor(id, parent_id) AS (
                SELECT id, parent_id FROM comments_comment WHERE id = NEW.parent_id
                UNION
                SELECT c.id, c.parent_id FROM comments_comment c JOIN ancestor a ON c.id = a.parent_id
            ) SELECT 1 FROM ancestor WHERE id = NEW.id
        ) THEN
            RAISE EXCEPTION 'comment % cannot reply to itself or its own reply', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
        NEW.path := comments_capped_path(parent_path || NEW.id);
        NEW.depth := parent_depth + 1;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.path IS DISTINCT FROM OLD.path THEN
        -- Move the subtree: recompute every descendant from the new place.
        WITH RECURSIVE moved(id, path, depth) AS (
            SELECT c.id, comments_capped_path(NEW.path || c.id), NEW.depth + 1
              FROM comments_comment c WHERE c.parent_id = NEW.id
            UNION ALL
            SELECT c.id, comments_capped_path(m.path || c.id), m.depth + 1
              FROM comments_comment c JOIN moved m ON c.parent_id = m.id
        )
        UPDATE comments_comment c SET path = m.path, depth = m.depth
          FROM moved m WHERE c.id = m.id;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER comments_comment_thread
    BEFORE INSERT OR UPDATE OF parent_id, post_id ON comments_comment
    FOR EACH ROW EXECUTE FUNCTION comments_comment_thread();
""".replace("MAX_PATH_LENGTH", str(MAX_PATH_LENGTH))

DROP = """
DROP TRIGGER IF EXISTS comments_comment_thread ON comments_comment;
DROP FUNCTION IF EXISTS comments_comment_thread();
DROP FUNCTION IF EXISTS comments_capped_path(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("comments", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]

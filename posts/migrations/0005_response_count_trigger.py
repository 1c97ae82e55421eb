"""Keep posts_post.response_count with the versions, from the same triggers.

The count moves by the difference each statement makes (approved comments
in, approved comments out), read from the transition tables: no recount of
a 10,000-comment thread on every reply.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION posts_bump_thread_versions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Every post the statement touched, with how many approved comments
    -- (not pingbacks) it gained or lost.
    IF TG_OP = 'INSERT' THEN
        UPDATE posts_post p
           SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp(),
               response_count = response_count + d.delta
          FROM (SELECT post_id, count(*) FILTER (WHERE status = 'approved' AND kind = 'comment') AS delta
                  FROM new_rows GROUP BY post_id) d
         WHERE p.id = d.post_id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE posts_post p
           SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp(),
               response_count = response_count + d.delta
          FROM (SELECT post_id, sum(delta) AS delta FROM (
                    SELECT post_id, CASE WHEN status = 'approved' AND kind = 'comment' THEN 1 ELSE 0 END AS delta
                      FROM new_rows
                    UNION ALL
                    SELECT post_id, CASE WHEN status = 'approved' AND kind = 'comment' THEN -1 ELSE 0 END
                      FROM old_rows
                ) changes GROUP BY post_id) d
         WHERE p.id = d.post_id;
    ELSE
        UPDATE posts_post p
           SET thread_version = thread_version + 1, thread_changed_at = clock_timestamp(),
               response_count = response_count - d.delta
          FROM (SELECT post_id, count(*) FILTER (WHERE status = 'approved' AND kind = 'comment') AS delta
                  FROM old_rows GROUP BY post_id) d
         WHERE p.id = d.post_id;
    END IF;
    RETURN NULL;
END
$$;

UPDATE posts_post p SET response_count = (
    SELECT count(*) FROM comments_comment c
     WHERE c.post_id = p.id AND c.status = 'approved' AND c.kind = 'comment'
);
"""

# Back to 0003's function (versions only).
DROP = r"""
CREATE OR REPLACE FUNCTION posts_bump_thread_versions() RETURNS trigger
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
"""


class Migration(migrations.Migration):
    dependencies = [("posts", "0004_response_count_field")]

    operations = [migrations.RunSQL(CREATE, DROP)]

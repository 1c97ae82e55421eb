"""Tags, and the artist's slug (/artists/<slug>/), filled in for existing posts.

The page versions keep up with tags in the database, whoever writes them
(the admin, an import's bulk insert, a shell): linking or unlinking a post
and a tag touches the post's updated_at (its page and every list show its
tags), and renaming or deleting a tag bumps the site version (its own page,
even with no posts). Statement-level triggers, as in 0003.
"""

import django.db.models.functions.text
from django.db import migrations, models
from django.utils.text import slugify

BATCH = 2_000

CREATE = """
CREATE FUNCTION posts_touch_tagged_posts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE posts_post SET updated_at = clock_timestamp()
         WHERE id IN (SELECT post_id FROM new_rows);
    ELSE
        UPDATE posts_post SET updated_at = clock_timestamp()
         WHERE id IN (SELECT post_id FROM old_rows);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION posts_tag_renamed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE posts_post SET updated_at = clock_timestamp()
     WHERE id IN (SELECT l.post_id FROM posts_post_tags l JOIN new_rows n ON n.id = l.tag_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER posts_post_tags_inserted AFTER INSERT ON posts_post_tags
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_touch_tagged_posts();
CREATE TRIGGER posts_post_tags_deleted AFTER DELETE ON posts_post_tags
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_touch_tagged_posts();
CREATE TRIGGER posts_tag_updated AFTER UPDATE ON posts_tag
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION posts_tag_renamed();
CREATE TRIGGER posts_tag_changed AFTER UPDATE OR DELETE OR TRUNCATE ON posts_tag
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_post_tags_inserted ON posts_post_tags;
DROP TRIGGER IF EXISTS posts_post_tags_deleted ON posts_post_tags;
DROP TRIGGER IF EXISTS posts_tag_updated ON posts_tag;
DROP TRIGGER IF EXISTS posts_tag_changed ON posts_tag;
DROP FUNCTION IF EXISTS posts_touch_tagged_posts();
DROP FUNCTION IF EXISTS posts_tag_renamed();
"""


def fill_artist_slugs(apps, schema_editor):
    # The same rule as posts.models.slug_for_artist, copied so this
    # migration keeps working if that function changes.
    Post = apps.get_model("posts", "Post")
    batch = []
    for post in Post.objects.exclude(artist="").only("id", "artist").iterator(chunk_size=BATCH):
        post.artist_slug = slugify(post.artist, allow_unicode=True)[:200].strip("-")
        batch.append(post)
        if len(batch) >= BATCH:
            Post.objects.bulk_update(batch, ["artist_slug"])
            batch = []
    if batch:
        Post.objects.bulk_update(batch, ["artist_slug"])


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0008_notify_page_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="post",
            name="artist_slug",
            field=models.SlugField(
                allow_unicode=True, blank=True, db_index=False, editable=False, max_length=200
            ),
        ),
        migrations.RunPython(fill_artist_slugs, migrations.RunPython.noop, elidable=True),
        migrations.CreateModel(
            name="Tag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                ("slug", models.SlugField(allow_unicode=True, blank=True, max_length=200, unique=True)),
            ],
            options={
                "ordering": [django.db.models.functions.text.Lower("name"), "id"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"), name="tag_name_ci_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="post",
            name="tags",
            field=models.ManyToManyField(blank=True, related_name="posts", to="posts.tag"),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["artist_slug", "-published_at", "-id"], name="post_artist_idx"),
        ),
        migrations.RunSQL(CREATE, DROP),
    ]

"""The site version row is bumped on post deletions only (see SiteVersion).

Every other change to a list shows in the maxima SiteVersion.current()
reads, so inserts and updates no longer lock that one row: a long import
no longer makes every commenter wait for it.
"""

from django.db import migrations

CREATE = """
DROP TRIGGER IF EXISTS posts_post_changed ON posts_post;
CREATE TRIGGER posts_post_deleted AFTER DELETE OR TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_post_deleted ON posts_post;
CREATE TRIGGER posts_post_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON posts_post
    FOR EACH STATEMENT EXECUTE FUNCTION posts_bump_site_version();
"""


class Migration(migrations.Migration):
    dependencies = [("posts", "0006_list_version_indexes")]

    operations = [migrations.RunSQL(CREATE, DROP)]

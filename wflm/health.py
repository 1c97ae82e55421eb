"""Probes for a process manager or load balancer.

/healthz: the process answers (never touches the database, so a database
outage does not get healthy workers restarted). /readyz: this process can
serve pages: the database answers and every migration is applied (a new
release whose migrations have not run yet is not ready). Plain text, never
cached.
"""

from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _text(body, status=200):
    return HttpResponse(f"{body}\n", status=status, content_type="text/plain; charset=utf-8")


@never_cache
@require_safe
def healthz(request):
    return _text("ok")


@never_cache
@require_safe
def readyz(request):
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        # Reads the migration files (imported once per process) and django_migrations.
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Error as error:  # InterfaceError too: a connection already closed
        # Not logged: a probe polls, and the pages' 503s already log the outage.
        return _text(f"database unavailable: {' '.join(str(error).split())}", status=503)
    if unapplied:
        return _text(f"{len(unapplied)} unapplied migration(s), first {unapplied[0][0]}", status=503)
    return _text("ok")

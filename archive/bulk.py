"""COPY rows into a model's table: the import's bulk path for comments.

bulk_create spends most of an import's time building one huge INSERT
(Django prepares every value of every row, then PostgreSQL parses it);
COPY streams the rows as text. Row and statement triggers fire as for
INSERT (the comment thread trigger, the page-version bumps), and
constraints are checked the same way.

Columns not given get the model field's default (computed once), except
those the database fills itself (db_default, e.g. a comment's path).
"""

import datetime
import io
import json

from django.db import connection
from django.db.models.expressions import DatabaseDefault


def _escape(text):
    """COPY's text format: backslash, tab, newline and CR written as escapes."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_text(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an import row")
        return value.isoformat()
    if isinstance(value, dict | list):
        return _escape(json.dumps(value, ensure_ascii=False))
    raise TypeError(f"cannot COPY a {type(value).__name__}")


def _defaults(model, columns):
    """(column, value) for every other concrete field the database does not fill itself."""
    given = set(columns)
    extra = []
    for field in model._meta.concrete_fields:
        if field.column in given or field.attname in given:
            continue
        if field.has_db_default() or (field.primary_key and field.db_returning):
            continue
        default = field.get_default()
        if isinstance(default, DatabaseDefault):
            continue
        extra.append((field.column, default))
    return extra


def copy_into(model, columns, rows):
    """COPY rows (tuples in columns order: column names) into model's table."""
    defaults = _defaults(model, columns)
    names = list(columns) + [name for name, _ in defaults]
    tail = "".join("\t" + _copy_text(value) for _, value in defaults)
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_text, row)) + tail + "\n")
    buffer.seek(0)
    quoted = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN", buffer
        )

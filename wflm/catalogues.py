"""The interface's message catalogues (locale/<lang>/LC_MESSAGES/django.po): compile and check.

`make messages` extracts with Django's makemessages (GNU gettext), then
`python -m wflm.catalogues compile` writes each .mo with polib, so nothing
else needs gettext installed. `python -m wflm.catalogues check` (and
wflm/tests/test_i18n.py) fails on an untranslated or fuzzy entry, on a
translation whose %(placeholders)s differ from its English, and on a string
marked in the code that a catalogue lacks. The code's strings are read here
in pure Python, as makemessages reads them: Python calls of the gettext
family, and templates (Django's and the thread's Jinja2 loop, which marks
its strings `_("...")` only) through Django's own templatize.
"""

import ast
import io
import re
import sys
import tokenize
from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation.template import templatize

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"
# Template files makemessages reads (its -e html,txt,jinja), beside every .py.
TEMPLATE_SUFFIXES = {".html", ".txt", ".jinja"}
SKIPPED_DIRS = {"var", "locale", "node_modules", "__pycache__", "tests"}
SINGULAR = {"gettext", "gettext_lazy", "gettext_noop", "_", "pgettext", "pgettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}
CONTEXT_FIRST = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def locale_name(language_code):
    """ "zh-hans" -> "zh_Hans", as locale/ directories are named."""
    from django.utils.translation import to_locale

    return to_locale(language_code)


def catalogue_path(language_code):
    return LOCALE_DIR / locale_name(language_code) / "LC_MESSAGES" / "django.po"


def source_files(root=BASE_DIR):
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        if path.suffix == ".py" or path.suffix in TEMPLATE_SUFFIXES and "templates" in parts:
            yield path


def messages_in_code(root=BASE_DIR):
    """{msgid: where} for every string the code marks for translation."""
    found = {}
    for path in source_files(root):
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(root))
        if path.suffix == ".py":
            ids = _python_messages(text)
        else:
            ids = _tokenized_messages(templatize(text, origin=str(path)))
        for msgid in ids:
            found.setdefault(msgid, where)
    return found


def _python_messages(text):
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in SINGULAR | PLURAL:
            continue
        args = node.args[1:] if name in CONTEXT_FIRST else node.args
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            yield args[0].value


def _tokenized_messages(text):
    """The first string argument of each gettext-family call in templatize's output (not Python, but tokenizable)."""
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(text).readline)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for index, token in enumerate(tokens[:-2]):
        if (
            token.type == tokenize.NAME
            and token.string in SINGULAR | PLURAL
            and tokens[index + 1].string == "("
        ):
            argument = tokens[index + 2]
            if token.string in CONTEXT_FIRST and tokens[index + 3].string == ",":
                argument = tokens[index + 4]
            if argument.type == tokenize.STRING:
                yield ast.literal_eval(argument.string)


def problems(language_code, code_messages=None):
    """What is wrong with one catalogue, as readable lines (none: it is complete)."""
    path = catalogue_path(language_code)
    if not path.exists():
        return [f"{path}: missing"]
    catalogue = polib.pofile(str(path))
    found = []
    active = [entry for entry in catalogue if not entry.obsolete]
    # Every entry is checked: one msgid may come in several contexts (pgettext).
    entries = {entry.msgid for entry in active}
    for entry in active:
        if "fuzzy" in entry.flags:
            found.append(f"{path.name} [{language_code}] fuzzy: {entry.msgid!r}")
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        if not entry.translated() or not all(translations):
            found.append(f"[{language_code}] untranslated: {entry.msgid!r}")
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        for translation in translations:
            # A plural form may leave the count out ("un commentaire"); every other placeholder stays.
            if set(PLACEHOLDER.findall(translation)) - wanted or (
                wanted - set(PLACEHOLDER.findall(translation)) - {"%(counter)s", "%(count)s", "%(count)d"}
            ):
                found.append(f"[{language_code}] placeholders differ: {entry.msgid!r} -> {translation!r}")
    for msgid, where in (code_messages if code_messages is not None else messages_in_code()).items():
        if msgid not in entries:
            found.append(f"[{language_code}] not in the catalogue ({where}): {msgid!r}")
    return found


def compile_all():
    for code, _name in settings.LANGUAGES:
        path = catalogue_path(code)
        polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
        print(f"compiled {path.with_suffix('.mo').relative_to(BASE_DIR)}")


def check_all():
    code_messages = messages_in_code()
    found = [line for code, _name in settings.LANGUAGES for line in problems(code, code_messages)]
    print(
        "\n".join(found) or f"{len(settings.LANGUAGES)} catalogues complete ({len(code_messages)} strings)."
    )
    return not found


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wflm.settings")
    django.setup()
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "compile":
        compile_all()
    elif command == "check":
        sys.exit(0 if check_all() else 1)
    else:
        sys.exit("usage: python -m wflm.catalogues compile|check")

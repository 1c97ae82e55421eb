"""The real export files the archive tests read: ../shared/fixtures (see its SOURCES.md) and the seed page."""

from pathlib import Path

import pytest

from archive.importing import ImportOptions, import_file

# The repository's sibling: /work/main/../shared/fixtures.
SHARED = Path(__file__).resolve().parents[3] / "shared"
FIXTURES = SHARED / "fixtures"
SEED = SHARED / "seed" / "ascenseur-pour-lechafaud.txt"


def shared_file(path):
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared import fixtures are not on this machine")
    return path


def fixture_path(name):
    return shared_file(FIXTURES / name)


def run_import(path, **options):
    """Import a file (a fixture name or a path); the import must succeed."""
    path = fixture_path(path) if isinstance(path, str) else path
    result = import_file(path, ImportOptions(**options))
    assert result.ok, result.error
    return result


def failed_import(path, **options):
    result = import_file(path, ImportOptions(**options))
    assert not result.ok
    return result

"""Every string a victim sees is translated in every language the portal can
offer, and the catalogues keep up with the source (issue 15).

The back office stays in English: entries whose every reference is staff-only
(tests/catalogues.py, STAFF_ONLY) may stay untranslated.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.catalogues import (
    LOCALE,
    MAKEMESSAGES_OPTIONS,
    catalogue_path,
    read_catalogue,
)
from trackmycrime.testing import ROOT, skip_or_fail

LANGUAGES = list(settings.PORTAL_LANGUAGES_AVAILABLE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_victim_facing_entry_is_translated_and_none_is_fuzzy(language):
    path = catalogue_path(language)
    assert path.exists(), f"no catalogue for {language}: run `make messages`"
    header, *entries = read_catalogue(path)
    assert "fuzzy" not in header.flags, "a fuzzy header is skipped by msgfmt"
    missing = [
        entry.msgid
        for entry in entries
        if not entry.staff_only and (not entry.translated or "fuzzy" in entry.flags)
    ]
    assert missing == [], (
        f"{len(missing)} victim-facing entries untranslated or fuzzy in {language}"
    )


def _copy_of_the_source(destination: Path) -> None:
    shutil.copytree(
        ROOT,
        destination,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".venv",
            "node_modules",
            "static",
            "var",
            "staticfiles",
            ".git",
            "*.mo",
            "__pycache__",
            ".*_cache",
        ),
    )


def test_the_committed_catalogues_have_every_msgid_in_the_source(tmp_path):
    if shutil.which("xgettext") is None:
        skip_or_fail("makemessages needs GNU gettext: apt-get install gettext")
    copy = tmp_path / "source"
    _copy_of_the_source(copy)
    # A fresh catalogue, made from the source alone by the README's command.
    shutil.rmtree(copy / "locale" / LANGUAGES[0])
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            LANGUAGES[0],
            *MAKEMESSAGES_OPTIONS,
        ],
        cwd=copy,
        env={**os.environ, "DEBUG": "true"},
        check=True,
        capture_output=True,
    )
    source = {
        entry.key
        for entry in read_catalogue(catalogue_path(LANGUAGES[0], copy / "locale"))
    }
    for language in LANGUAGES:
        path = catalogue_path(language, LOCALE)
        committed = (
            {entry.key for entry in read_catalogue(path)} if path.exists() else set()
        )
        new = sorted(msgid for _context, msgid in source - committed)
        assert new == [], (
            f"the {language} catalogue lacks {len(new)} msgids in the source: "
            "run `make messages` and translate them"
        )

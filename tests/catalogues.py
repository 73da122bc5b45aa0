"""Read gettext catalogues (.po) for the translation tests: just enough of the
format for what makemessages writes."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from trackmycrime.testing import ROOT

LOCALE = ROOT / "locale"
# The brief's staff-only rule: an entry all of whose references are back office.
STAFF_ONLY = re.compile(
    r"(^|/)templates/admin/|(^|/)admin\.py$|^accounts/|^audit/|^trackmycrime/admin"
)
# Exactly the command in README (Languages) and `make messages`.
MAKEMESSAGES_OPTIONS = [
    "--no-obsolete",
    "--add-location=file",
    "--ignore=.venv",
    "--ignore=node_modules",
    "--ignore=static",
    "--ignore=var",
    "--ignore=tests",
    "--ignore=bench",
]


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    @property
    def staff_only(self) -> bool:
        return bool(self.references) and all(
            STAFF_ONLY.search(reference) for reference in self.references
        )

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def read_catalogue(path: Path) -> list[Entry]:
    """Return the entries of a .po file, the header (msgid "") first; obsolete
    (#~) entries are left out."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started
        if started:
            entries.append(entry)
        entry, started = Entry(), False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            target = None
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#:"):
            entry.references.extend(line[2:].split())
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"{path}: a string with nothing before it"
            _append(entry, target, ast.literal_eval(line))
        else:
            keyword, _space, value = line.partition(" ")
            # A new entry without a blank line before it.
            if keyword in {"msgctxt", "msgid"} and entry.msgstr:
                finish()
            started = True
            index = 0
            match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
            if match:
                keyword, index = "msgstr", int(match.group(1))
            target = (keyword, index)
            if keyword == "msgstr":
                entry.msgstr[index] = ""
            _append(entry, target, ast.literal_eval(value))
    finish()
    return entries


def _append(entry: Entry, target: tuple[str, int], text: str) -> None:
    keyword, index = target
    if keyword == "msgid":
        entry.msgid += text
    elif keyword == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    elif keyword == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    else:
        entry.msgstr[index] += text


def catalogue_path(language: str, locale: Path = LOCALE) -> Path:
    return locale / language / "LC_MESSAGES" / "django.po"

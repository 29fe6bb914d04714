"""Check that the zh-Hans catalogue is complete and that its compiled .mo is current.

`--compile` rewrites the .mo from the .po first (run by `make messages`); the .mo is
committed so that a fresh machine needs no GNU gettext.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "wennuan" / "locale"


def main(argv: list[str]) -> int:
    problems: list[str] = []
    for po_path in sorted(LOCALE.glob("*/LC_MESSAGES/django.po")):
        po = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        if "--compile" in argv:
            po.save_as_mofile(str(mo_path))
        for entry in po:
            if entry.obsolete:
                continue
            if entry.previous_msgid or entry.previous_msgid_plural:
                # Leftover "#|" history from a fuzzy match; msgmerge chokes on a partial one.
                problems.append(f"{po_path}: stale '#|' history: {entry.msgid!r}")
            if "fuzzy" in entry.flags:
                problems.append(f"{po_path}: fuzzy: {entry.msgid!r}")
            elif not entry.translated():
                problems.append(f"{po_path}: untranslated: {entry.msgid!r}")
        if not mo_path.exists():
            problems.append(f"{mo_path}: missing; run `make messages`")
            continue
        compiled = {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in polib.mofile(str(mo_path))
        }
        source = {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in po
            if e.translated() and not e.obsolete
        }
        if {k: v for k, v in compiled.items() if k[1]} != source:
            problems.append(f"{mo_path}: out of date with {po_path.name}; run `make messages`")
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} translation problems")
        return 1
    print("translations complete")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The Ukrainian catalogue (its one source, the .po file) is complete: nothing untranslated, fuzzy
or left in English, and the committed .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import vestige

LOCALE = Path(vestige.__file__).parent / "locale"


# The same in both languages, on purpose: a file format, genetic systems as labs write them in
# Ukraine, an acronym the Ukrainian forensic services use as is, a setting's name in an error.
SAME_IN_UKRAINIAN = {"PDF", "X-STR", "Y-STR", "DVI", "VESTIGE_TSA_ROOTS %(p)s: %(e)s"}


def po_entries():
    """(msgid, msgstr) of every entry of the catalogue, a context as gettext keys it."""
    text = (LOCALE / "uk/LC_MESSAGES/django.po").read_text()
    for block in text.split("\n\n")[1:]:
        mid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        mstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if mid and mstr:
            unq = lambda m: "".join(re.findall(r'"(.*)"', m.group(1))).encode().decode("unicode_escape").encode("latin-1").decode()  # noqa: E731
            ctxt = re.search(r'^msgctxt "(.*)"', block, re.M)  # a word with two meanings: keyed as the .mo keys it
            yield (f"{ctxt.group(1)}\x04" if ctxt else "") + unq(mid), unq(mstr)


def test_every_message_is_translated_and_compiled():
    entries = list(po_entries())
    assert len(entries) > 300
    untranslated = [m for m, t in entries if not t]
    assert untranslated == []
    with open(LOCALE / "uk/LC_MESSAGES/django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = [m for m, t in entries if catalogue.gettext(m) != t]
    assert stale == [], "run `make messages`: django.mo is older than django.po"


def test_placeholders_survive_translation():
    for msgid, msgstr in po_entries():
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == sorted(re.findall(r"%\(\w+\)\w", msgstr)), msgid


def test_plural_messages_have_every_ukrainian_form():
    # Before: plural messages were left untranslated (English in the Ukrainian interface), one of
    # them "Проблема" for every count, without its number.
    text = (LOCALE / "uk/LC_MESSAGES/django.po").read_text()
    blocks = [b for b in text.split("\n\n") if "msgid_plural" in b]
    assert blocks
    for b in blocks:
        forms = [(i, "".join(re.findall(r'"(.*)"', text)))  # a long form is wrapped over several lines
                 for i, text in re.findall(r'^msgstr\[(\d)\] ((?:".*"\n?)+)', b + "\n", re.M)]
        assert [i for i, _f in forms] == ["0", "1", "2", "3"] and all(f for _i, f in forms), b
        assert all("%(n)s" in f for _i, f in forms), b
    from django.utils import translation

    with translation.override("uk"):
        # Ukrainian plural rule: 1, 21 → one; 2–4, 22–24 → few; 0, 5–20, 25 → many.
        got = [translation.ngettext("%(n)s problem", "%(n)s problems", n) % {"n": n} for n in (1, 2, 5, 21, 22, 25)]
    assert got == ["1 проблема", "2 проблеми", "5 проблем", "21 проблема", "22 проблеми", "25 проблем"]


def test_words_with_two_meanings_are_translated_by_their_context():
    """Issue 29: a tooth that is missing is not a missing person; the body region "Back" is not the
    button; a record (noun) is not "to record"; a DNA marker is not a grave marker."""
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("uk"):
        assert pgettext("tooth state", "missing") == "відсутній" != gettext("missing")
        assert pgettext("body region", "Back") == "Спина"
        assert pgettext("an entry of a record", "Record") == "Запис" != gettext("Record")
        assert pgettext("DNA marker", "Marker") == "Маркер" != gettext("Marker")


def test_nothing_is_fuzzy_or_left_in_english():
    """makemessages marks a changed string fuzzy (a guess from the old one); Django does not use a
    fuzzy entry, so the page would show English."""
    text = (LOCALE / "uk/LC_MESSAGES/django.po").read_text()
    fuzzy = [b for b in text.split("\n\n")[1:] if re.search(r"^#,.*\bfuzzy\b", b, re.M)]
    assert fuzzy == []
    english = [m for m, t in po_entries() if t == m.split("\x04")[-1] and m not in SAME_IN_UKRAINIAN]
    assert english == []


GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "GLOSSARY.md"
# Strings where an English term is a file's field or column name, kept as the file writes it, or
# a sense the glossary's "not in" column names.
FILE_WORDS = re.compile(r"\b(site|grave|remains|graves|allele1|allele2)\b(?=[ ,(.)]|$)|%\(w\)s\.dental|"
                        r"\(SITE#LABEL\)|%\(grave\)s")
NOT_IN = {"Insufficient evidence / inconclusive", "Unknown link %(k)r; use site, grave (SITE#LABEL) or remains.",
          "Unknown import kind %(k)r; use graves or remains."}


def _glossary() -> list[tuple[str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text().splitlines():
        if line.startswith("| ") and not line.startswith(("| term", "| ---")):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append((cells[0], cells[2].split("/")))
    return rows


def test_every_string_uses_the_glossarys_term():
    """docs/GLOSSARY.md: a string with a glossary term (whole word, any case) has the term's
    Ukrainian stem; the matching run is «пошук збігів» everywhere (it was three things)."""
    rows = _glossary()
    assert len(rows) >= 25
    wrong = []
    for msgid, msgstr in po_entries():
        text = msgid.split("\x04")[-1]
        if text in NOT_IN:
            continue
        for term, stems in rows:
            if re.search(rf"\b{re.escape(term)}\b", text, re.I) and not any(s.lower() in msgstr.lower() for s in stems):
                if "custody record" in text and term == "evidence" or (FILE_WORDS.search(text) and term in (
                        "grave", "remains", "allele", "dental")):
                    continue
                wrong.append((term, text, msgstr))
    assert wrong == []

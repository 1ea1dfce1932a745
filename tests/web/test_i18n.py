"""The Ukrainian catalogue is complete and the committed .mo matches the .po."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import vestige

LOCALE = Path(vestige.__file__).parent / "locale"


def _po_entries():
    text = (LOCALE / "uk/LC_MESSAGES/django.po").read_text()
    for block in text.split("\n\n")[1:]:
        mid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        mstr = re.search(r'^msgstr ((?:".*"\n?)+)', block, re.M)
        if mid and mstr:
            unq = lambda m: "".join(re.findall(r'"(.*)"', m.group(1))).encode().decode("unicode_escape").encode("latin-1").decode()  # noqa: E731
            ctxt = re.search(r'^msgctxt "(.*)"', block, re.M)  # a word with two meanings: keyed as the .mo keys it
            yield (f"{ctxt.group(1)}\x04" if ctxt else "") + unq(mid), unq(mstr)


def test_every_message_is_translated_and_compiled():
    entries = list(_po_entries())
    assert len(entries) > 300
    untranslated = [m for m, t in entries if not t]
    assert untranslated == []
    with open(LOCALE / "uk/LC_MESSAGES/django.mo", "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = [m for m, t in entries if catalogue.gettext(m) != t]
    assert stale == [], "run `make messages`: django.mo is older than django.po"


def test_placeholders_survive_translation():
    for msgid, msgstr in _po_entries():
        assert sorted(re.findall(r"%\(\w+\)\w", msgid)) == sorted(re.findall(r"%\(\w+\)\w", msgstr)), msgid


def test_plural_messages_have_every_ukrainian_form():
    # Before: plural messages were left untranslated (English in the Ukrainian interface), one of
    # them "Проблема" for every count, without its number.
    text = (LOCALE / "uk/LC_MESSAGES/django.po").read_text()
    blocks = [b for b in text.split("\n\n") if "msgid_plural" in b]
    assert blocks
    for b in blocks:
        forms = re.findall(r'^msgstr\[(\d)\] "(.*)"', b, re.M)
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

"""The official transliteration of Ukrainian into the Latin alphabet: Resolution No. 55 of the
Cabinet of Ministers of Ukraine of 27 January 2010 ("Про впорядкування транслітерації
українського алфавіту латиницею"), used for place names on maps and for names in passports.

Rules, as the resolution's table gives them: Є, Ї, Й, Ю, Я are written ``Ye``, ``Yi``, ``Y``,
``Yu``, ``Ya`` at the start of a word and ``ie``, ``i``, ``i``, ``iu``, ``ia`` elsewhere; ``зг`` is
``zgh`` (to tell it from ``ж``); the soft sign and the apostrophe are not written.
"""

from __future__ import annotations

import re

__all__ = ["latin"]

_PLAIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "y",
    "і": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "'": "", "’": "",
    "ʼ": "", "`": "",
}
_INITIAL = {"є": ("ye", "ie"), "ї": ("yi", "i"), "й": ("y", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia")}
_WORD = re.compile(r"[А-Яа-яІіЇїЄєҐґ'’ʼ`]+")


def _word(word: str) -> str:
    out = []
    lower = word.lower()
    for i, ch in enumerate(lower):
        if ch == "г" and i > 0 and lower[i - 1] == "з":
            latin_ch = "gh"
        elif ch in _INITIAL:
            latin_ch = _INITIAL[ch][0 if i == 0 else 1]
        else:
            latin_ch = _PLAIN.get(ch, ch)
        if word[i].isupper() and latin_ch:
            # a capital: the first letter of its Latin form (Щ → Shch), the whole when the word is in capitals
            latin_ch = latin_ch.upper() if word.isupper() and len(word) > 1 else latin_ch[0].upper() + latin_ch[1:]
        out.append(latin_ch)
    return "".join(out)


def latin(text: str) -> str:
    """``text`` with every Ukrainian word transliterated (other characters kept): «Запоріжжя» →
    ``Zaporizhzhia``, «Кривий Ріг» → ``Kryvyi Rih``, «Ізюм» → ``Izium``."""
    return _WORD.sub(lambda m: _word(m.group(0)), text)

"""Name matching across Ukrainian Cyrillic and Latin spellings.

:func:`transliterate` follows the national system (Cabinet of Ministers of Ukraine resolution
No. 55 of 27 January 2010, "KMU 2010"): positional letters (є ї й ю я) are written ``ye yi y yu
ya`` at the start of a word and ``ie i i iu ia`` elsewhere; ``зг`` is ``zgh``; the soft sign and
apostrophe are dropped. :func:`name_key` then folds the spellings that other systems and
passports produce (``kh``/``h``, ``ye``/``ie``/``e``, ``yu``/``iu``/``u``, ``ya``/``ia``/``a``,
``i``/``y``, ``ts``/``c``, doubled letters, Russian-style forms such as ``ch``/``tch``), so that
Шевченко, Shevchenko and Ševčenko share one key. :func:`similarity` compares keys.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_KMU = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "y",
    "і": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "'": "", "’": "",
    "ʼ": "",
    # Russian letters that appear in registers: the common passport spellings.
    "ы": "y", "э": "e", "ё": "e", "ъ": "",
}
_POSITIONAL = {"є": ("ye", "ie"), "ї": ("yi", "i"), "й": ("y", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia")}


def transliterate(text: str) -> str:
    """Ukrainian Cyrillic → Latin by KMU 2010 (Latin text passes through unchanged)."""
    out = []
    lower = text.lower()
    for i, ch in enumerate(lower):
        # A word starts after a space or hyphen; after an apostrophe (Знам'янка) it does not.
        start = i == 0 or not (lower[i - 1].isalpha() or lower[i - 1] in "'’ʼ")
        if ch in _POSITIONAL:
            piece = _POSITIONAL[ch][0 if start else 1]
        elif ch == "г" and i > 0 and lower[i - 1] == "з":
            piece = "gh"
        else:
            piece = _KMU.get(ch, ch)
        out.append(piece.capitalize() if text[i].isupper() and piece else piece)
    return "".join(out)


_FOLDS = [
    (r"shch", "sc"), (r"tch", "c"), (r"ch", "c"), (r"sh", "s"), (r"zh", "z"), (r"kh", "h"), (r"ts", "c"),
    (r"ye", "e"), (r"ie", "e"), (r"yi", "i"), (r"yu", "u"), (r"iu", "u"), (r"ju", "u"), (r"ya", "a"),
    (r"ia", "a"), (r"ja", "a"), (r"je", "e"), (r"y", "i"), (r"j", "i"), (r"w", "v"), (r"g", "h"), (r"x", "ks"),
    (r"(.)\1+", r"\1"),
]


def name_key(text: str) -> str:
    """A spelling-insensitive key: transliterate, strip accents, fold variant spellings."""
    latin = transliterate(text or "")
    latin = unicodedata.normalize("NFKD", latin)
    latin = "".join(c for c in latin if not unicodedata.combining(c)).lower()
    latin = re.sub(r"[^a-z ]+", "", latin)
    for pattern, repl in _FOLDS:
        latin = re.sub(pattern, repl, latin)
    return " ".join(latin.split())


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two names' keys (difflib ratio): 1 for variant spellings of one name."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    return SequenceMatcher(None, ka, kb).ratio()

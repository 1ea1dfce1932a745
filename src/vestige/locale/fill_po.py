"""Write the translations of uk_translations.py into locale/uk/LC_MESSAGES/django.po.

Usage: python fill_po.py  (run by `make messages` after makemessages; compilemessages follows).
Prints every msgid still untranslated and exits 1 if there is one.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from uk_translations import UK, UK_PLURAL  # noqa: E402

PO = Path(__file__).parent / "uk" / "LC_MESSAGES" / "django.po"


def main() -> int:
    text = PO.read_text()
    blocks = text.split("\n\n")
    missing = []
    out = [blocks[0]]
    for block in blocks[1:]:
        m = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if not m:
            out.append(block)
            continue
        if "msgid_plural" in block:  # Ukrainian has four forms: one (1, 21), few (2–4), many (5–20), fractions
            msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
            forms = UK_PLURAL.get(msgid)
            if forms is None:
                missing.append(msgid)
                out.append(block)
                continue
            for i, form in enumerate(forms):
                block = re.sub(rf'^msgstr\[{i}\] ".*"(?:\n".*")*', f'msgstr[{i}] "{form}"', block, flags=re.M)
            block = re.sub(r"^#, fuzzy, ", "#, ", block, flags=re.M)
            block = re.sub(r"^#, fuzzy.*\n", "", block, flags=re.M)
            block = re.sub(r"^#\| .*\n", "", block, flags=re.M)
            out.append(block)
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        ctxt = re.search(r'^msgctxt "(.*)"', block, re.M)
        if ctxt:  # a word with two meanings: the key is "context\x04msgid", as gettext stores it
            msgid = f"{ctxt.group(1)}\x04{msgid}"
        if msgid not in UK:
            missing.append(msgid)
            out.append(block)
            continue
        block = re.sub(r'^msgstr (".*"\n?)+', f'msgstr "{UK[msgid]}"', block, flags=re.M)
        block = re.sub(r"^#, fuzzy.*\n", "", block, flags=re.M)
        block = re.sub(r"^#\| .*\n", "", block, flags=re.M)
        out.append(block)
    PO.write_text("\n\n".join(out))
    for msgid in missing:
        print(f"untranslated: {msgid}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

"""People of a family tree (GEDCOM) who may be registered missing persons (issue 28, part 2): by
name in any script and spelling, word order aside (GEDCOM writes "Given /Surname/", the register
"Surname Given"), and by birth date when both know it. Proposed for a person to confirm — the
import places a confirmed one (``match``) where the tree puts them; nothing is joined by name alone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from vestige import access
from vestige.linkage.names import name_key, similarity
from vestige.missing.models import MissingPerson

__all__ = ["TreeMatch", "gedcom_birth", "tree_matches", "THRESHOLD"]

THRESHOLD = 0.85
MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
                                      "DEC"), 1)}
_DATE = re.compile(r"(?:(\d{1,2})\s+)?(?:([A-Z]{3})\s+)?(\d{4})")


@dataclass(frozen=True)
class TreeMatch:
    member: str  # the tree's individual (GEDCOM xref, e.g. I3)
    name: str
    born: str
    person: MissingPerson
    score: float

    def as_text(self) -> str:
        p = self.person
        return _("%(m)s «%(n)s»%(b)s may be %(ref)s %(who)s%(pb)s, family %(f)s (%(s)d %%): confirm it with "
                 "match %(m)s=%(ref)s, importing into family %(f)s.") % {
            "m": self.member, "n": self.name, "b": f" ({self.born})" if self.born else "", "ref": p.ref,
            "who": p.full_name, "pb": f", {p.birth_date.isoformat()}" if p.birth_date else "", "f": p.family.ref,
            "s": round(self.score * 100)}


def gedcom_birth(text: str) -> tuple[dt.date | None, int | None]:
    """A GEDCOM date ("9 MAR 1980", "MAR 1980", "ABT 1980", "1980") as (date when whole, year)."""
    m = _DATE.search((text or "").upper())
    if not m:
        return None, None
    day, month, year = m.group(1), m.group(2), int(m.group(3))
    if day and month in MONTHS:
        try:
            return dt.date(year, MONTHS[month], int(day)), year
        except ValueError:
            return None, year
    return None, year


def _words(name: str) -> str:
    return " ".join(sorted(name_key(name).split()))


def tree_matches(actor, individuals: list[tuple[str, str, str]], *, limit: int = 3) -> list[TreeMatch]:
    """``individuals``: (member, name, birth text) of a tree; the register persons ``actor`` may see
    who may be them, best first for each."""
    out = []
    for member, name, born in individuals:
        tokens = sorted(name_key(name).split(), key=len, reverse=True)
        if not tokens or len(tokens[0]) < 3:
            continue
        date, year = gedcom_birth(born)
        qs = access.scope(MissingPerson.objects.filter(withdrawn_at__isnull=True,
                                                       name_key__contains=tokens[0][:5]), actor)
        found = []
        for p in qs.select_related("family")[:500]:
            score = similarity(_words(name), _words(f"{p.family_name} {p.given_name}"))
            if p.birth_date and year is not None:
                if p.birth_date.year != year:
                    continue  # born another year: another person
                score += 0.05 if date == p.birth_date else 0.0
            if score >= THRESHOLD:
                found.append(TreeMatch(member, name, born, p, min(score, 1.0)))
        out += sorted(found, key=lambda t: -t.score)[:limit]
    return out

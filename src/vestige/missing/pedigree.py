"""Draw a family's pedigree as SVG: squares for men, circles for women, diamonds for unknown;
the missing filled red, typed donors with a dot (a reference profile), the deceased struck through.

Layout: each person's generation is one more than their deeper parent's; spouses (parents of a
common child) sit side by side; children hang from the midpoint of their parents.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from vestige.missing.models import Family

BOX, GAP_X, GAP_Y, PAD = 36, 34, 78, 24


@dataclass
class Node:
    pk: int
    code: str
    sex: str
    father: int | None
    mother: int | None
    missing: bool
    typed: bool
    deceased: bool
    label: str
    x: float = 0
    y: float = 0


def layout(family: Family) -> tuple[dict[int, Node], float, float]:
    """Positions of the pedigree's members: (nodes by member pk, width, height)."""
    missing = {mp.member_id for mp in family.missing_persons.filter(withdrawn_at__isnull=True)}
    typed = {d.member_id for d in family.donors.filter(profiles__isnull=False, consent_withdrawn_on__isnull=True)}
    nodes = {m.pk: Node(m.pk, m.code, m.sex, m.father_id, m.mother_id, m.pk in missing, m.pk in typed, m.deceased,
                        m.label) for m in family.members.all()}
    if not nodes:
        return {}, 0, 0
    gen: dict[int, int] = {}

    def depth(pk: int) -> int:
        if pk not in gen:
            n = nodes[pk]
            gen[pk] = 0 if n.father is None else 1 + max(depth(n.father), depth(n.mother))
        return gen[pk]

    for pk in nodes:
        depth(pk)
    # Spouses share the lower of their generations' rows: pull a founder spouse down to their partner.
    for n in nodes.values():
        if n.father is not None:
            g = max(gen[n.father], gen[n.mother])
            gen[n.father] = gen[n.mother] = g
    rows: dict[int, list[int]] = {}
    for pk in sorted(nodes, key=lambda p: (gen[p], p)):
        rows.setdefault(gen[pk], []).append(pk)
    # Keep couples adjacent: order each row by the couple a person belongs to.
    for g, pks in rows.items():
        couples = {}
        for n in nodes.values():
            if n.father in pks and n.mother in pks:
                couples.setdefault((n.father, n.mother), None)
        ordered: list[int] = []
        for f, m in couples:
            for p in (f, m):
                if p not in ordered:
                    ordered.append(p)
        rows[g] = ordered + [p for p in pks if p not in ordered]
    width = max(len(r) for r in rows.values()) * (BOX + GAP_X) + 2 * PAD
    height = len(rows) * (BOX + GAP_Y) + PAD
    for g, pks in rows.items():
        offset = (width - len(pks) * (BOX + GAP_X) + GAP_X) / 2
        for i, pk in enumerate(pks):
            nodes[pk].x, nodes[pk].y = offset + i * (BOX + GAP_X), PAD + g * (BOX + GAP_Y)
    return nodes, width, height


def pedigree_svg(family: Family, highlight: int | None = None) -> str:
    """SVG markup for ``family``; ``highlight`` (a member pk) gets a thick outline."""
    nodes, width, height = layout(family)
    if not nodes:
        return ""
    parts = [f'<svg class="pedigree" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="pedigree of {escape(family.ref)}">']
    drawn = set()
    for n in nodes.values():
        if n.father is None:
            continue
        f, m = nodes[n.father], nodes[n.mother]
        mid_x, bar_y = (f.x + m.x) / 2 + BOX / 2, f.y + BOX / 2
        if (n.father, n.mother) not in drawn:
            parts.append(f'<line x1="{f.x + BOX / 2}" y1="{bar_y}" x2="{m.x + BOX / 2}" y2="{bar_y}" stroke="#333"/>')
            drawn.add((n.father, n.mother))
        sib_y = n.y - GAP_Y / 3
        parts.append(f'<polyline points="{mid_x},{bar_y} {mid_x},{sib_y} {n.x + BOX / 2},{sib_y} {n.x + BOX / 2},{n.y}" '
                     'fill="none" stroke="#333"/>')
    for n in nodes.values():
        fill = "#c0392b" if n.missing else "#fff"
        stroke_w = 4 if n.pk == highlight else 1.5
        x, y, c = n.x, n.y, BOX / 2
        if n.sex == "male":
            shape = f'<rect x="{x}" y="{y}" width="{BOX}" height="{BOX}"'
        elif n.sex == "female":
            shape = f'<circle cx="{x + c}" cy="{y + c}" r="{c}"'
        else:
            shape = f'<polygon points="{x + c},{y} {x + BOX},{y + c} {x + c},{y + BOX} {x},{y + c}"'
        title = f"{n.code}{' — ' + n.label if n.label else ''}{' (missing)' if n.missing else ''}{' (typed)' if n.typed else ''}"
        parts.append(f'<g class="member{" missing" if n.missing else ""}{" typed" if n.typed else ""}"><title>{escape(title)}</title>'
                     f'{shape} fill="{fill}" stroke="#222" stroke-width="{stroke_w}"/>')
        if n.typed:
            parts.append(f'<circle cx="{x + c}" cy="{y + c}" r="5" fill="#1f5f8b"/>')
        if n.deceased:
            parts.append(f'<line x1="{x - 4}" y1="{y + BOX + 4}" x2="{x + BOX + 4}" y2="{y - 4}" stroke="#222" stroke-width="1.5"/>')
        parts.append(f'<text x="{x + c}" y="{y + BOX + 14}" text-anchor="middle" font-size="11">{escape(n.code)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)

"""The genogram and the ecomap drawn on the server as SVG: no script, readable in print
and by screen readers (``role="img"``, a ``<title>`` and a ``<desc>`` listing what is
drawn), labels in the page's language.

The layout is fixed, not free: generations in rows by the relationship to the
household's main person, supporters on a circle around the person. Every member and
supporter is one ``<g>`` with its id in a ``data-`` attribute, every tie one element
with the ids it joins, so that tests (and people) can read the drawing."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cases.assessment.maps import CaseMaps, Member
from cases.models import Person, RelationshipMark

FONT = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif"
# Generation of each relationship to the main person: rows of the genogram.
GENERATION = {
    "grandparent": -2,
    "father": -1,
    "mother": -1,
    "self": 0,
    "spouse": 0,
    "sibling": 0,
    "relative": 0,
    "other": 0,
    "son": 1,
    "daughter": 1,
    "grandchild": 2,
}
ORDER = ["grandparent", "father", "mother", "self", "spouse", "sibling", "son", "daughter"]
SIZE, STEP, ROW, MARGIN = 40, 130, 150, 30


def _short(text: str, most: int = 10) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _two_lines(text: str, most: int) -> list[str]:
    """``text`` on one line, or on two of at most ``most`` characters (the second cut
    short): an agency's full name (豊中市みどり台地域包括支援センター) is what tells it
    from the others, and is cut only past two lines."""
    if len(text) <= most:
        return [text]
    cut = min((len(text) + 1) // 2, most)  # halves, not a lone character on the second
    return [text[:cut], _short(text[cut:], most)]


def _text(x: float, y: float, text: str, size: int = 13, cls: str = "label") -> str:
    return (
        f'<text class="{cls}" x="{x:.0f}" y="{y:.0f}" font-size="{size}" '
        f'text-anchor="middle" font-family="{FONT}">{escape(text)}</text>'
    )


def _svg(kind: str, width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    ident = f"{kind}-title"
    return mark_safe(  # noqa: S308 — every text above went through escape()/quoteattr()
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" role="img" '
        f'aria-labelledby="{ident} {kind}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f'<title id="{ident}">{escape(title)}</title><desc id="{kind}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


# --- genogram --------------------------------------------------------------------------


def _shape(m: Member, x: float, y: float) -> list[str]:
    """Square for a man, circle for a woman, diamond otherwise; doubled for the person;
    crossed out for a member who has died."""
    half = SIZE / 2
    out = []
    sizes = [half + 6, half] if m.is_self else [half]
    for h in sizes:
        if m.sex == Person.Sex.MALE:
            out.append(
                f'<rect class="shape" x="{x - h:.0f}" y="{y - h:.0f}" width="{2 * h:.0f}" '
                f'height="{2 * h:.0f}" fill="white" stroke="black" stroke-width="2"/>'
            )
        elif m.sex == Person.Sex.FEMALE:
            out.append(
                f'<circle class="shape" cx="{x:.0f}" cy="{y:.0f}" r="{h:.0f}" fill="white" '
                'stroke="black" stroke-width="2"/>'
            )
        else:
            points = f"{x},{y - h} {x + h},{y} {x},{y + h} {x - h},{y}"
            out.append(
                f'<polygon class="shape" points="{points}" fill="white" stroke="black" '
                'stroke-width="2"/>'
            )
    if m.deceased:
        out.append(
            f'<path class="deceased" d="M{x - half} {y - half} L{x + half} {y + half} '
            f'M{x + half} {y - half} L{x - half} {y + half}" stroke="black" stroke-width="2"/>'
        )
    return out


def _member_label(m: Member, today) -> str:
    age = None if m.deceased else m.age_on(today)  # no age of the living for the dead
    bits = [m.relationship_label]
    if age is not None:
        bits.append(_("%(age)s yrs") % {"age": age})
    if m.deceased:
        bits.append(_("deceased"))
    return "・".join(bits)


def _rows(members: list[Member]) -> dict[int, list[Member]]:
    rows: dict[int, list[Member]] = {}
    ranked = sorted(
        members,
        key=lambda m: (
            ORDER.index(m.relationship) if m.relationship in ORDER else len(ORDER),
            m.person_id,
        ),
    )
    for m in ranked:
        rows.setdefault(GENERATION.get(m.relationship, 0), []).append(m)
    return dict(sorted(rows.items()))


def _parents_of(gen: int, rows: dict[int, list[Member]]) -> list[Member]:
    """Who the members of generation ``gen`` descend from, as far as the household
    tells: the main person and spouse for children, father and mother for the person
    and siblings, a carer of the children's row (else its first woman) for grandchildren."""
    above = rows.get(gen - 1, [])
    if gen == 0:
        return [m for m in above if m.relationship in ("father", "mother")]
    if gen == 1:
        return [m for m in above if m.relationship in ("self", "spouse")]
    if gen == 2:
        carers = [m for m in above if m.is_carer] or [
            m for m in above if m.sex == Person.Sex.FEMALE
        ]
        return (carers or above)[:1]
    return above[:2]


def _children_of(gen: int, row: list[Member]) -> list[Member]:
    if gen == 0:
        return [m for m in row if m.relationship in ("self", "sibling")]
    return row


def _descent(rows, pos) -> list[str]:
    out = []
    for gen, row in rows.items():
        parents = [p for p in _parents_of(gen, rows) if p.person_id in pos]
        children = _children_of(gen, row)
        if not parents or not children:
            continue
        px = sum(pos[p.person_id][0] for p in parents) / len(parents)
        # From the couple's line, or from under a single parent's name.
        py = pos[parents[0].person_id][1] + (0 if len(parents) > 1 else SIZE / 2 + 46)
        bar = pos[children[0].person_id][1] - ROW / 2 + 20
        xs = [pos[c.person_id][0] for c in children] + [px]
        out.append(
            f'<path class="descent-bar" d="M{px:.0f} {py:.0f} V{bar:.0f} M{min(xs):.0f} '
            f'{bar:.0f} H{max(xs):.0f}" stroke="black" stroke-width="1.5" fill="none"/>'
        )
        for c in children:
            cx, cy = pos[c.person_id]
            out.append(
                f'<line class="child-line" data-parent="{parents[0].person_id}" '
                f'data-child="{c.person_id}" x1="{cx:.0f}" y1="{bar:.0f}" x2="{cx:.0f}" '
                f'y2="{cy - SIZE / 2 - (6 if c.is_self else 0):.0f}" stroke="black" '
                'stroke-width="1.5"/>'
            )
    return out


def _couples(rows, pos) -> list[str]:
    out = []
    pairs = (("self", "spouse"), ("father", "mother"))
    for row in rows.values():
        by_rel = {m.relationship: m for m in row}
        for a, b in pairs:
            if a in by_rel and b in by_rel:
                (x1, y), (x2, _y) = pos[by_rel[a].person_id], pos[by_rel[b].person_id]
                out.append(
                    f'<line class="couple" data-a="{by_rel[a].person_id}" '
                    f'data-b="{by_rel[b].person_id}" x1="{x1:.0f}" y1="{y:.0f}" '
                    f'x2="{x2:.0f}" y2="{y:.0f}" stroke="black" stroke-width="2"/>'
                )
    return out


def genogram_svg(maps: CaseMaps) -> SafeString:
    """The household as a genogram (members who left the household are not drawn)."""
    rows = _rows(maps.members)
    today = timezone.localdate()
    widest = max((len(r) for r in rows.values()), default=1)
    width = max(widest * STEP + 2 * MARGIN, 320)
    height = max(len(rows), 1) * ROW + MARGIN
    pos: dict[int, tuple[float, float]] = {}
    for i, row in enumerate(rows.values()):
        left = (width - len(row) * STEP) / 2 + STEP / 2
        for j, m in enumerate(row):
            pos[m.person_id] = (left + j * STEP, MARGIN + SIZE / 2 + 6 + i * ROW)
    body = [*_couples(rows, pos), *_descent(rows, pos)]
    for m in maps.members:
        x, y = pos[m.person_id]
        body.append(
            f'<g class="member" data-person="{m.person_id}" data-sex={quoteattr(m.sex)}>'
            + "".join(_shape(m, x, y))
            + _text(x, y + SIZE / 2 + 22, _short(m.name))
            + _text(x, y + SIZE / 2 + 40, _member_label(m, today), 11, "detail")
            + "</g>"
        )
    if not maps.members:
        body.append(_text(width / 2, height / 2, _("No household recorded.")))
    desc = "、".join(f"{m.name}（{_member_label(m, today)}）" for m in maps.members)
    return _svg("genogram", width, height, _("Genogram"), desc, body)


# --- ecomap ----------------------------------------------------------------------------

ECO_W, ECO_H, ECO_R, NODE_W, NODE_H, CENTRE_R = 640, 520, 190, 150, 58, 52
LEGEND_H = 40


def _zigzag(x1: float, y1: float, x2: float, y2: float) -> str:
    length = math.hypot(x2 - x1, y2 - y1) or 1
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    nx, ny = -uy, ux
    steps = max(int(length // 10), 2)
    points = []
    for i in range(steps + 1):
        t = i / steps
        off = 0 if i in (0, steps) else (5 if i % 2 else -5)
        points.append(
            f"{x1 + ux * length * t + nx * off:.1f},{y1 + uy * length * t + ny * off:.1f}"
        )
    return " ".join(points)


def _tie(key: str, strength: str, x1: float, y1: float, x2: float, y2: float) -> str:
    head = f'class="tie" data-key={quoteattr(key)} data-strength="{strength or "none"}"'
    if strength == RelationshipMark.Strength.STRAINED:
        return (
            f'<polyline {head} points="{_zigzag(x1, y1, x2, y2)}" fill="none" '
            'stroke="#b00" stroke-width="2"/>'
        )
    style = {
        RelationshipMark.Strength.STRONG: 'stroke="black" stroke-width="5"',
        RelationshipMark.Strength.WEAK: 'stroke="black" stroke-width="1.5" stroke-dasharray="6 5"',
    }.get(strength, 'stroke="#888" stroke-width="1.5"')
    return f'<line {head} x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" {style}/>'


def _legend(y: float) -> list[str]:
    items = [
        (RelationshipMark.Strength.STRONG, _("strong")),
        (RelationshipMark.Strength.WEAK, _("weak")),
        (RelationshipMark.Strength.STRAINED, _("strained")),
        ("", _("not marked")),
    ]
    out = ['<g class="legend">']
    x = 20
    for strength, label in items:
        out.append(_tie(f"legend:{strength or 'none'}", strength, x, y, x + 50, y))
        out.append(
            f'<text x="{x + 58}" y="{y + 5:.0f}" font-size="12" font-family="{FONT}">'
            f"{escape(str(label))}</text>"
        )
        x += 58 + 12 * len(str(label)) + 24  # a full-width character is about 12 wide
    out.append("</g>")
    return out


def _supporter_label(x: float, y: float, label: str, kind: str) -> str:
    """A supporter's name (on two lines when long) and below it what it is."""
    lines = _two_lines(label, 11)
    top = y - 2 if len(lines) == 1 else y - 9
    texts = [_text(x, top + 16 * i, line) for i, line in enumerate(lines)]
    return "".join(texts) + _text(x, top + 16 * len(lines) + 2, _short(kind, 12), 10, "detail")


def ecomap_svg(maps: CaseMaps) -> SafeString:
    """The person in the centre, the supporters linked to the case around them, each tie
    drawn as the caseworker marked it (thick: strong, dashed: weak, zigzag: strained)."""
    cx, cy = ECO_W / 2, (ECO_H - LEGEND_H) / 2
    body = []
    n = len(maps.supporters)
    nodes = []
    for i, s in enumerate(maps.supporters):
        angle = 2 * math.pi * i / max(n, 1) - math.pi / 2
        x, y = cx + ECO_R * 1.25 * math.cos(angle), cy + ECO_R * math.sin(angle)
        strength = maps.marks.get(s.key, "")
        dist = math.hypot(x - cx, y - cy) or 1
        sx, sy = cx + (x - cx) * CENTRE_R / dist, cy + (y - cy) * CENTRE_R / dist
        ex = x - (x - cx) * (NODE_H / 2) / dist
        ey = y - (y - cy) * (NODE_H / 2) / dist
        body.append(_tie(s.key, strength, sx, sy, ex, ey))
        nodes.append(
            f'<g class="supporter" data-key={quoteattr(s.key)}>'
            f'<rect x="{x - NODE_W / 2:.0f}" y="{y - NODE_H / 2:.0f}" width="{NODE_W}" '
            f'height="{NODE_H}" rx="8" fill="white" stroke="black"/>'
            + _supporter_label(x, y, s.label, str(s.kind))
            + "</g>"
        )
    body += nodes
    body.append(
        f'<g class="centre"><circle cx="{cx:.0f}" cy="{cy:.0f}" r="{CENTRE_R}" fill="white" '
        f'stroke="black" stroke-width="3"/><circle cx="{cx:.0f}" cy="{cy:.0f}" '
        f'r="{CENTRE_R - 5}" fill="none" stroke="black"/>'
        + _text(cx, cy + 5, _short(maps.centre_label, 8), 14)
        + "</g>"
    )
    if not n:
        body.append(_text(cx, cy + CENTRE_R + 30, _("No supporter linked to the case yet.")))
    body += _legend(ECO_H - LEGEND_H / 2)
    labels = {m: str(label) for m, label in RelationshipMark.Strength.choices}
    desc = "、".join(
        f"{s.label}（{s.kind}・{labels.get(maps.marks.get(s.key, ''), _('not marked'))}）"
        for s in maps.supporters
    )
    title = _("Ecomap of %(name)s") % {"name": maps.centre_label}
    return _svg("ecomap", ECO_W, ECO_H, title, desc, body)

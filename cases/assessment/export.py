"""The assessments of a case in the disclosure export (``manage.py export_person``)."""

from __future__ import annotations

from cases.assessment.domains import DOMAINS, PARTS
from cases.models import Assessment, Case


def export_lines(case: Case) -> list[str]:
    """Every version of the case's assessment as Markdown lines (none: no lines)."""
    assessments = Assessment.objects.filter(case=case).prefetch_related("agencies_present")
    lines: list[str] = []
    for a in assessments.order_by("version"):
        lines += ["", f"### アセスメント 第{a.version}版（{a.assessed_on}）"]
        lines.append(f"- 本人の意向: {a.wishes}")
        if a.life_history:
            lines.append(f"- 生活歴: {a.life_history}")
        for key, label in DOMAINS:
            parts = a.domains.get(key) or {}
            texts = [f"{p_label}：{parts[p]}" for p, p_label in PARTS if parts.get(p)]
            if texts:
                lines.append(f"- {label}: " + " / ".join(str(t) for t in texts))
        if a.supporters:
            names = "、".join(f"{s['role']} {s['name']}".strip() for s in a.supporters)
            lines.append(f"- 支援者: {names}")
        agencies = "、".join(x.name for x in a.agencies_present.all())
        lines.append(
            "- 参加者: "
            + " / ".join(
                x
                for x in (
                    "本人" if a.person_present else "",
                    a.staff_present,
                    a.family_present,
                    agencies,
                )
                if x
            )
        )
    return [line.replace("\n", " ") for line in lines]

"""The domains of the assessment sheet (DESIGN §8), in the order of the national form,
and what is written in each."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DOMAINS: tuple[tuple[str, object], ...] = (
    ("health", _("Health, illness and disability")),  # 健康・疾病・障害
    ("mental_health", _("Mental health")),  # こころの健康
    ("income_debt", _("Income, assets and debt")),  # 収入・資産・債務
    ("housing", _("Housing")),  # 住まい
    ("work_learning", _("Work and learning")),  # 就労・通学・学び
    ("family_care", _("Family and care")),  # 家族関係・介護・子育て
    ("social_ties", _("Social ties")),  # 社会とのつながり
    ("daily_life", _("Daily life")),  # 日常生活
    ("legal", _("Legal matters")),  # 法律・権利
)
PARTS: tuple[tuple[str, object], ...] = (
    ("situation", _("Situation")),  # 現状
    ("issues", _("Issues")),  # 課題
    ("strengths", _("Strengths")),  # 強み・ストレングス
)
DOMAIN_KEYS = tuple(key for key, _label in DOMAINS)
PART_KEYS = tuple(key for key, _label in PARTS)


def domain_rows(domains: dict) -> list[dict]:
    """The domains of a stored assessment in the form's order, for pages and prints:
    [{"key", "label", "situation", "issues", "strengths"}]."""
    rows = []
    for key, label in DOMAINS:
        stored = domains.get(key) or {}
        rows.append({"key": key, "label": label, **{p: stored.get(p, "") for p in PART_KEYS}})
    return rows

"""National default master data (DESIGN section 8): issue categories, routes of
contact and consultation methods. Codes are stable for statistics; a municipality adds
its own entries beside these (``cases.core.services.master_data_add``).

It stays at this path because a landed migration (0002) imports it."""

from __future__ import annotations

# The field (分野) of a category says which of the four fields of consultation support
# (高齢, 障害, 子ども, 生活困窮) the issue belongs to; the rule "needs multi-agency
# collaboration" counts the distinct fields of a case's categories. A category that does
# not name one of the four is "other" and never counts: 病気・健康・障害 (illness is not a
# field, and a disability is recorded as 障害), relations with family or the community,
# ひきこもり, DV・虐待 (its field depends on who is abused), 社会的孤立 and その他.
CATEGORIES = [
    # code, name, English, field
    ("health", "病気・健康・障害", "Illness, health, disability", "other"),
    ("disability", "障害", "Disability", "disability"),
    ("housing", "住まい", "Housing", "poverty"),
    ("income", "収入・生活費", "Income, living costs", "poverty"),
    ("rent_loan", "家賃・ローン", "Rent, loans", "poverty"),
    ("tax_utilities", "税・公共料金", "Taxes, utility bills", "poverty"),
    ("debt", "債務", "Debt", "poverty"),
    ("job_search", "仕事探し・就職", "Finding work", "poverty"),
    ("work_trouble", "仕事上の不安・トラブル", "Trouble at work", "poverty"),
    ("community", "地域との関係", "Relations with the community", "other"),
    ("family", "家族との関係", "Family relations", "other"),
    ("childrearing", "子育て", "Child-rearing", "children"),
    ("care", "介護", "Long-term care", "elderly"),
    ("hikikomori", "ひきこもり・不登校", "Social withdrawal, school refusal", "other"),
    ("dv_abuse", "DV・虐待", "Domestic violence, abuse", "other"),
    ("no_food", "食べるものがない", "Nothing to eat", "poverty"),
    ("other", "その他", "Other", "other"),
    ("p8050", "8050", "8050 (elderly parent, withdrawn adult child)", "elderly"),
    ("double_care", "ダブルケア", "Double care", "elderly"),
    ("young_carer", "ヤングケアラー", "Young carer", "children"),
    ("isolation", "社会的孤立", "Social isolation", "other"),
]
ROUTES = [
    ("self", "本人", "The person"),
    ("family", "家族・親族", "Family"),
    ("acquaintance", "知人・友人", "Acquaintance"),
    ("minsei", "民生委員・児童委員", "Commissioned welfare volunteer"),
    ("resident", "地域住民の気づき", "A resident noticed"),
    ("community_program", "地域づくり事業から", "From community building"),
    ("participation_program", "参加支援事業から", "From participation support"),
    ("agency", "関係機関", "Support agency"),
    ("school", "学校", "School"),
    ("medical", "医療機関", "Medical institution"),
    ("government", "行政窓口", "Municipal office"),
    ("outreach", "アウトリーチ", "Outreach"),
    ("other", "その他", "Other"),
]
METHODS = [
    ("visit", "来所", "Visit to the office"),
    ("phone", "電話", "Phone"),
    ("home_visit", "訪問", "Home visit"),
    ("online", "オンライン", "Online"),
    ("accompany", "同行", "Accompanying"),
    ("email", "メール", "E-mail"),
    ("letter", "文書", "Letter"),
    ("other", "その他", "Other"),
]


def load(apps) -> None:
    """Create or refresh the national defaults (idempotent)."""
    IssueCategory = apps.get_model("cases", "IssueCategory")
    ContactRoute = apps.get_model("cases", "ContactRoute")
    ConsultationMethod = apps.get_model("cases", "ConsultationMethod")
    for order, (code, name, name_en, field) in enumerate(CATEGORIES, start=1):
        IssueCategory.objects.update_or_create(
            municipality=None,
            code=code,
            defaults={"name": name, "name_en": name_en, "field": field, "sort_order": order * 10},
        )
    for model, rows in ((ContactRoute, ROUTES), (ConsultationMethod, METHODS)):
        for order, (code, name, name_en) in enumerate(rows, start=1):
            model.objects.update_or_create(
                municipality=None,
                code=code,
                defaults={"name": name, "name_en": name_en, "sort_order": order * 10},
            )

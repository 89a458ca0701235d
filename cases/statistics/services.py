"""Writes of the statistics: the 実施計画 of a fiscal year with its 事業 and targets."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ImplementationPlan, IndicatorTarget, PlanBusiness
from cases.registry import businesses, indicators
from municipalities.audit import audit_change
from municipalities.models import AuditEvent, Municipality, Role, User
from municipalities.scoping import require_role
from portal.errors import CaseRuleError
from portal.fiscal import fiscal_year_of

FIRST_YEAR = 2021  # the program began in 令和3年度
MAX_TARGET = 10_000_000


def fiscal_years() -> list[int]:
    """The fiscal years statistics and plans may name, newest first (up to next year, for
    a plan adopted before its year begins)."""
    return list(range(fiscal_year_of(timezone.localdate()) + 1, FIRST_YEAR - 1, -1))


def check_fiscal_year(fiscal_year: int, field_name: str = "fiscal_year") -> None:
    years = fiscal_years()
    if fiscal_year not in years:
        raise CaseRuleError(
            _("The fiscal year must be between %(first)s and %(last)s.")
            % {"first": years[-1], "last": years[0]},
            field_name,
        )


@dataclass
class PlanData:
    first_year: int
    last_year: int
    title: str = ""
    policies: str = ""
    adopted_on: datetime.date | None = None
    # {business key: (operation, contractors)}
    businesses: dict[str, tuple[str, str]] = field(default_factory=dict)
    # {indicator code: target or None (no target)}
    targets: dict[str, int | None] = field(default_factory=dict)


def _check(fiscal_year: int, data: PlanData) -> None:
    check_fiscal_year(fiscal_year)
    if data.last_year < data.first_year:
        raise CaseRuleError(_("The plan period ends before it starts."), "last_year")
    if not data.first_year <= fiscal_year <= data.last_year:
        raise CaseRuleError(
            _("The plan period must include the fiscal year of this version."), "first_year"
        )
    known = {b.key for b in businesses()}
    for key, (operation, contractors) in data.businesses.items():
        if key not in known or operation not in PlanBusiness.Operation.values:
            raise CaseRuleError(_("Unknown value: %(values)s") % {"values": key}, f"op_{key}")
        if operation in ("contracted", "both") and not contractors.strip():
            raise CaseRuleError(_("Name the contracted organisations."), f"contractors_{key}")
    codes = {i.code for i in indicators()}
    for code, target in data.targets.items():
        if code not in codes:
            raise CaseRuleError(_("Unknown value: %(values)s") % {"values": code}, code)
        if target is not None and not 0 <= target <= MAX_TARGET:
            raise CaseRuleError(_("Targets are whole numbers of 0 or more."), code)


@transaction.atomic
def implementation_plan_save(
    *, user: User, municipality: Municipality, fiscal_year: int, data: PlanData
) -> ImplementationPlan:
    """Save the fiscal year's version of the 実施計画: period, policies, who runs each
    事業 and the yearly targets (a target left empty is removed). All or nothing."""
    require_role(user, Role.MANAGER)
    _check(fiscal_year, data)
    plan, created = ImplementationPlan.objects.select_for_update().update_or_create(
        municipality=municipality,
        fiscal_year=fiscal_year,
        defaults={
            "title": data.title.strip(),
            "first_year": data.first_year,
            "last_year": data.last_year,
            "policies": data.policies.strip(),
            "adopted_on": data.adopted_on,
            "updated_by": user,
        },
    )
    for key, (operation, contractors) in data.businesses.items():
        PlanBusiness.objects.update_or_create(
            municipality=municipality,
            plan=plan,
            business=key,
            defaults={"operation": operation, "contractors": contractors.strip()},
        )
    for code, target in data.targets.items():
        mine = {"municipality": municipality, "fiscal_year": fiscal_year, "indicator": code}
        if target is None:
            IndicatorTarget.objects.filter(**mine).delete()
        else:
            IndicatorTarget.objects.update_or_create(
                **mine, defaults={"target": target, "plan": plan, "updated_by": user}
            )
    audit_change(
        user,
        AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        plan,
        fiscal_year=fiscal_year,
        targets={k: v for k, v in data.targets.items() if v is not None},
    )
    return plan

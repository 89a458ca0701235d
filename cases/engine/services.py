"""What people do with a flag (snooze, dismiss, turn into a referral) and a manager's
rule settings."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.collaboration.services import referral_create
from cases.core.queries import agency_of
from cases.engine.rules import Rule
from cases.models import Flag, Referral, RuleSetting
from cases.registry import get_rule
from municipalities.audit import audit_change, audit_write
from municipalities.models import AuditEvent, Municipality, Role, User
from municipalities.scoping import require_role
from portal.errors import CaseRuleError


def flag_can_act(flag: Flag) -> bool:
    """The flag can still be snoozed, dismissed or turned into a referral: the rules have
    not resolved it and nobody has handled it for good."""
    return flag.resolved_at is None and flag.state in (Flag.State.OPEN, Flag.State.SNOOZED)


def flag_can_refer(flag: Flag) -> bool:
    """The flag can become a referral: it is open, about a case, and its rule says where
    to refer."""
    rule = get_rule(flag.rule)
    return (
        flag_can_act(flag)
        and flag.case_id is not None
        and rule is not None
        and rule.refer is not None
    )


def _lock_open(flag: Flag) -> Flag:
    flag = Flag.objects.select_for_update(of=("self",)).select_related("case").get(pk=flag.pk)
    if not flag_can_act(flag):
        raise CaseRuleError(_("This flag has already been handled."))
    return flag


@transaction.atomic
def flag_snooze(*, user: User, flag: Flag, until: datetime.date) -> Flag:
    flag = _lock_open(flag)
    if until <= timezone.localdate():
        raise CaseRuleError(_("Snooze until a later date."), "until")
    if until > timezone.localdate() + datetime.timedelta(days=365):
        raise CaseRuleError(_("Snooze for at most a year."), "until")
    flag.state = Flag.State.SNOOZED
    flag.snoozed_until = until
    flag.handled_by, flag.handled_at = user, timezone.now()
    flag.save()
    audit_change(
        user,
        AuditEvent.Action.UPDATE,
        flag,
        case=flag.case,
        action="snooze",
        until=until.isoformat(),
    )
    return flag


@transaction.atomic
def flag_dismiss(*, user: User, flag: Flag, reason: str) -> Flag:
    flag = _lock_open(flag)
    if not reason.strip():
        raise CaseRuleError(_("Give the reason for dismissing the flag."), "reason")
    flag.state = Flag.State.DISMISSED
    flag.note = reason.strip()
    flag.handled_by, flag.handled_at = user, timezone.now()
    flag.save()
    audit_change(
        user, AuditEvent.Action.UPDATE, flag, case=flag.case, action="dismiss", reason=flag.note
    )
    return flag


@transaction.atomic
def flag_refer(*, user: User, flag: Flag, reason: str) -> Referral:
    """Turn the flag into a referral, pre-filled from the rule."""
    flag = _lock_open(flag)
    if not flag_can_refer(flag):
        raise CaseRuleError(_("This flag cannot become a referral."))
    from_program, to_program = get_rule(flag.rule).refer
    referral = referral_create(
        user=user,
        case=flag.case,
        from_program=from_program,
        to_program=to_program,
        reason=reason,
        # From the agency the user works in, as a referral made on the case page is.
        from_agency=agency_of(user),
    )
    flag.state = Flag.State.REFERRED
    flag.referral = referral
    flag.handled_by, flag.handled_at = user, timezone.now()
    flag.save()
    audit_change(
        user, AuditEvent.Action.UPDATE, flag, case=flag.case, action="refer", referral=referral.pk
    )
    return referral


@transaction.atomic
def rule_setting_save(
    *, user: User, municipality: Municipality, rule: Rule, enabled: bool, params: dict[str, int]
) -> RuleSetting:
    require_role(user, Role.MANAGER)
    unknown = set(params) - set(rule.defaults)
    if unknown:
        raise CaseRuleError(_("Unknown value: %(values)s") % {"values": ", ".join(unknown)})
    for key, value in params.items():
        if not isinstance(value, int) or value < 0 or value > 3650:
            raise CaseRuleError(_("Thresholds are whole numbers from 0 to 3650."), key)
    setting, _created = RuleSetting.objects.get_or_create(municipality=municipality, rule=rule.code)
    before = {"enabled": setting.enabled, "params": setting.params}
    setting.enabled = enabled
    setting.params = {k: v for k, v in params.items() if v != rule.defaults.get(k)}
    setting.updated_by = user
    setting.save()
    audit_write(
        user=user,
        municipality_id=municipality.pk,
        action=AuditEvent.Action.UPDATE,
        obj=setting,
        detail={"before": before, "after": {"enabled": enabled, "params": setting.params}},
    )
    return setting

"""The load test's database: the generated data set (built once, reused after) and the
staff accounts its virtual users sign in with.

The virtual users work in the municipalities with the most cases, spread over them in
turn, each in one role. They sign in as the generator's own staff of those
municipalities first (a caseworker then has her own cases on the dashboard); when a
role needs more accounts than the generator made, ``loadtest-<code>-<role>-<n>``
accounts are added. Every one of them gets this run's password, and every manager a
fresh authenticator whose key only the load client is told: managers must give a
second-factor code, and a code is accepted once per device, so each virtual manager has
an account and a device of its own.

Django is imported inside the functions: the load client reads ``ROLE_WEIGHTS``
without it.
"""

from __future__ import annotations

import base64
import io
import math
import secrets
from collections.abc import Callable
from typing import Any

# How many of each role sign in, relative to each other: mostly caseworkers. The load
# client's user classes carry the same weights.
ROLE_WEIGHTS = {"caseworker": 10, "coordinator": 3, "community_worker": 3, "manager": 2}
LOADTEST_PREFIX = "loadtest-"
DEVICE_NAME = "loadtest"


def accounts_needed(users: int) -> dict[str, int]:
    """Accounts per role for ``users`` virtual users: the role's share rounded up, plus
    one (the load tool rounds each class's share its own way)."""
    total = sum(ROLE_WEIGHTS.values())
    return {role: math.ceil(users * w / total) + 1 for role, w in ROLE_WEIGHTS.items()}


def prepare_database(cases: int, write: Callable[[str], object] = print) -> int:
    """Migrate; load the roster and generate ``cases`` cases unless the database holds a
    data set already (then it is reused whatever its size). Returns the cases held."""
    from django.core.management import call_command

    from bench.generate_data import generate_data
    from cases.models import Case
    from municipalities.models import Municipality

    call_command("migrate", verbosity=0, interactive=False)
    if not Municipality.objects.exists():
        write("loading the roster …")
        call_command(
            "load_roster", "fixtures/roster_fy2022.csv", "--fiscal-year", "2022", verbosity=0
        )
    held = Case.objects.count()
    if held:
        write(f"reusing the data set in the database: {held:,} cases")
        return held
    write(f"generating {cases:,} cases …")
    generate_data(cases, write=write)
    return Case.objects.count()


def _totp_key() -> tuple[str, str]:
    """A new device key: hex for the portal's TOTP device, base32 for the client."""
    raw = secrets.token_bytes(20)
    return raw.hex(), base64.b32encode(raw).decode("ascii")


def prepare_accounts(users: int, municipalities: int, password: str) -> dict[str, Any]:
    """Accounts for ``users`` virtual users in the ``municipalities`` municipalities with
    the most cases; returns what the load client needs (usernames, the password,
    managers' device keys). Clears login lockouts and failures from earlier runs."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.models import Case
    from municipalities.models import Membership, Municipality, Organisation, User
    from municipalities.services import membership_assign

    with transaction.atomic():
        largest = (
            Case.objects.values("municipality")
            .annotate(n=Count("id"))
            .order_by("-n", "municipality")[:municipalities]
        )
        chosen = [Municipality.objects.get(pk=row["municipality"]) for row in largest]
        if not chosen:
            raise SystemExit("The load test's database holds no cases.")
        hashed = make_password(password)
        accounts: dict[str, list[dict[str, Any]]] = {}
        for role, count in accounts_needed(users).items():
            staff = {
                m.pk: list(
                    Membership.objects.filter(municipality=m, role=role, is_active=True)
                    .exclude(user__username__startswith=LOADTEST_PREFIX)
                    .order_by("user_id")
                    .values_list("user_id", flat=True)
                )
                for m in chosen
            }
            made = dict.fromkeys(staff, 0)
            accounts[role] = []
            for i in range(count):
                municipality = chosen[i % len(chosen)]
                if staff[municipality.pk]:
                    user = User.objects.get(pk=staff[municipality.pk].pop(0))
                else:
                    n = made[municipality.pk]
                    made[municipality.pk] += 1
                    username = f"{LOADTEST_PREFIX}{municipality.code}-{role}-{n}"
                    user, created = User.objects.get_or_create(
                        username=username, defaults={"display_name": f"負荷試験 {role} {i}"}
                    )
                    if created:
                        organisation = Organisation.objects.filter(
                            municipality=municipality
                        ).order_by("pk")[0]
                        membership_assign(
                            user=user,
                            municipality=municipality,
                            organisation=organisation,
                            role=role,
                        )
                account: dict[str, Any] = {
                    "username": user.username,
                    "municipality": municipality.code,
                }
                if role == "manager":
                    TOTPDevice.objects.filter(user=user).delete()
                    key, account["totp_base32"] = _totp_key()
                    TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=key, confirmed=True)
                accounts[role].append(account)
        usernames = [a["username"] for role_accounts in accounts.values() for a in role_accounts]
        User.objects.filter(username__in=usernames).update(password=hashed, is_active=True)
    call_command("axes_reset", stdout=io.StringIO())
    return {
        "password": password,
        "municipalities": [{"code": m.code, "name": str(m)} for m in chosen],
        "accounts": accounts,
    }

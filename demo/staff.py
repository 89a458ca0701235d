"""Demo staff accounts for two roster municipalities, created if absent: one per role,
and the staff of three support agencies in each (the agencies' organisations carry
the same names as the agencies in ``demo.cases``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from municipalities.models import Membership, Municipality, Organisation, Role, User
from municipalities.services import membership_assign


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    organisation: str
    organisation_kind: str


# Two FY2022 roster municipalities. Names of people are invented.
DEMO_TENANTS: dict[str, tuple[str, tuple[DemoAccount, ...]]] = {
    "a": (
        "272035",  # 大阪府豊中市
        (
            DemoAccount(
                "a-caseworker",
                "石田 花子",
                Role.CASEWORKER,
                "豊中市社会福祉協議会",
                Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
            ),
            DemoAccount(
                "a-coordinator",
                "中村 太郎",
                Role.COORDINATOR,
                "NPO法人とよなか参加支援ネット",
                Organisation.Kind.NPO,
            ),
            DemoAccount(
                "a-community",
                "藤本 みどり",
                Role.COMMUNITY_WORKER,
                "豊中市社会福祉協議会",
                Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
            ),
            DemoAccount(
                "a-outreach",
                "小川 健",
                Role.OUTREACH,
                "豊中市社会福祉協議会",
                Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
            ),
            DemoAccount(
                "a-manager",
                "長尾 一郎",
                Role.MANAGER,
                "豊中市 福祉部",
                Organisation.Kind.MUNICIPALITY,
            ),
            DemoAccount(
                "a-multiagency",
                "谷口 あかり",
                Role.MULTIAGENCY,
                "豊中市 福祉部",
                Organisation.Kind.MUNICIPALITY,
            ),
            DemoAccount(
                "a-hokatsu",
                "北野 恵美",
                Role.CASEWORKER,
                "豊中市みどり台地域包括支援センター",
                Organisation.Kind.SOCIAL_WELFARE_CORPORATION,
            ),
            DemoAccount(
                "a-konkyu",
                "西田 香織",
                Role.CASEWORKER,
                "豊中市くらし自立相談窓口",
                Organisation.Kind.NPO,
            ),
        ),
    ),
    "b": (
        "322016",  # 島根県松江市
        (
            DemoAccount(
                "b-caseworker",
                "森山 さくら",
                Role.CASEWORKER,
                "松江市生活自立相談窓口",
                Organisation.Kind.MUNICIPALITY,
            ),
            DemoAccount(
                "b-coordinator",
                "宍道 健",
                Role.COORDINATOR,
                "社会福祉法人しんじ会",
                Organisation.Kind.SOCIAL_WELFARE_CORPORATION,
            ),
            DemoAccount(
                "b-community",
                "大橋 ゆり",
                Role.COMMUNITY_WORKER,
                "松江市社会福祉協議会",
                Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
            ),
            DemoAccount(
                "b-outreach",
                "秋鹿 亮",
                Role.OUTREACH,
                "松江市社会福祉協議会",
                Organisation.Kind.SOCIAL_WELFARE_COUNCIL,
            ),
            DemoAccount(
                "b-manager",
                "城山 誠",
                Role.MANAGER,
                "松江市 福祉総合相談課",
                Organisation.Kind.MUNICIPALITY,
            ),
            DemoAccount(
                "b-multiagency",
                "宍道 みなみ",
                Role.MULTIAGENCY,
                "松江市 福祉総合相談課",
                Organisation.Kind.MUNICIPALITY,
            ),
            DemoAccount(
                "b-hokatsu",
                "白潟 直子",
                Role.CASEWORKER,
                "松江市しらかた地域包括支援センター",
                Organisation.Kind.SOCIAL_WELFARE_CORPORATION,
            ),
            DemoAccount(
                "b-kikan",
                "乃木 亮太",
                Role.CASEWORKER,
                "松江市基幹相談支援センター",
                Organisation.Kind.SOCIAL_WELFARE_CORPORATION,
            ),
        ),
    ),
}
SYSTEM_ADMIN_USERNAME = "sysadmin"
# The secret of the demo accounts' second factor: the RFC 6238 test key, base32
# GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ. ``manage.py demo_totp <username>`` prints its code.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_NAME = "demo"


def demo_usernames() -> set[str]:
    names = {a.username for _code, accounts in DEMO_TENANTS.values() for a in accounts}
    return names | {SYSTEM_ADMIN_USERNAME}


def give_demo_device(user: User) -> None:
    """A confirmed authenticator with the public demo key, unless the user has one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name=DEMO_TOTP_NAME, key=DEMO_TOTP_KEY, confirmed=True)


def seed_staff(command: Any) -> None:
    password = settings.DEMO_PASSWORD
    rows: list[tuple[str, str, str, str]] = []
    for _key, (code, accounts) in DEMO_TENANTS.items():
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise CommandError(f"Municipality {code} is not loaded; run load_roster first.")
        for account in accounts:
            organisation, _ = Organisation.objects.get_or_create(
                municipality=municipality,
                name=account.organisation,
                defaults={"kind": account.organisation_kind},
            )
            user, created = User.objects.get_or_create(
                username=account.username,
                defaults={"display_name": account.display_name},
            )
            if created:
                user.set_password(password)
                user.save()
            if not Membership.objects.filter(user=user, is_active=True).exists():
                membership_assign(
                    user=user,
                    municipality=municipality,
                    organisation=organisation,
                    role=account.role,
                )
            if account.role in (Role.MANAGER, Role.MULTIAGENCY):
                give_demo_device(user)
            rows.append(
                (
                    account.username,
                    str(municipality),
                    str(Role(account.role).label),
                    account.organisation,
                )
            )
    admin, created = User.objects.get_or_create(
        username=SYSTEM_ADMIN_USERNAME,
        defaults={"display_name": "県庁 運用担当", "is_system_admin": True, "is_staff": True},
    )
    if created:
        admin.set_password(password)
        admin.save()
    give_demo_device(admin)
    rows.append((SYSTEM_ADMIN_USERNAME, "—", "システム管理者", "—"))

    write_accounts(command.stdout, rows)


def write_accounts(out: Any, rows: list[tuple[str, str, str, str]]) -> None:
    """The login table of the demo: what a newcomer types to log in as each role."""
    out.write(
        f"Demo accounts (password: {settings.DEMO_PASSWORD}; managers, 多機関協働担当 and "
        "sysadmin also need a code: manage.py demo_totp <username>)"
    )
    for username, municipality, role, organisation in rows:
        out.write(f"  {username:<16} {municipality:<10} {role:<16} {organisation}")


def demo_account_rows() -> list[tuple[str, str, str, str]]:
    """The demo accounts as they are in the database (username, municipality, role,
    organisation), in the order of ``DEMO_TENANTS``."""
    names = [a.username for _code, accounts in DEMO_TENANTS.values() for a in accounts]
    memberships = {
        m.user.username: m
        for m in Membership.objects.filter(user__username__in=names, is_active=True).select_related(
            "user", "municipality", "organisation"
        )
    }
    rows = [
        (name, str(m.municipality), str(m.get_role_display()), str(m.organisation))
        for name in names
        if (m := memberships.get(name)) is not None
    ]
    if User.objects.filter(username=SYSTEM_ADMIN_USERNAME).exists():
        rows.append((SYSTEM_ADMIN_USERNAME, "—", "システム管理者", "—"))
    return rows


def demo_user(username: str) -> User:
    return User.objects.get(username=username)

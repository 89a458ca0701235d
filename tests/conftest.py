"""Shared fixtures: personas for permissions, the loaded FY2022 roster."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from municipalities.models import Municipality, Role, User
from municipalities.roster import roster_import
from tests.factories import MembershipFactory, MunicipalityFactory, UserFactory
from tests.worlds import other_agency, world_a, world_b  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
ROSTER_FY2022 = ROOT / "fixtures" / "roster_fy2022.csv"


@dataclass
class Personas:
    """Fixed staff for permission tests: municipality A and B, every role, a sysadmin."""

    municipality_a: Municipality
    municipality_b: Municipality
    caseworker_a: User
    coordinator_a: User
    community_worker_a: User
    manager_a: User
    caseworker_b: User
    system_admin: User
    # Municipality A: a caseworker of another organisation (another agency's staff) and
    # the 重層 office's 多機関協働 staff.
    other_agency_a: User
    multiagency_a: User
    outreach_a: User

    def all(self) -> dict[str, User]:
        return {
            "caseworker_a": self.caseworker_a,
            "coordinator_a": self.coordinator_a,
            "community_worker_a": self.community_worker_a,
            "manager_a": self.manager_a,
            "caseworker_b": self.caseworker_b,
            "system_admin": self.system_admin,
            "other_agency_a": self.other_agency_a,
            "multiagency_a": self.multiagency_a,
            "outreach_a": self.outreach_a,
        }


# The one statement of an audit write on PostgreSQL that inserts the event and moves the
# chain's head on (``municipalities.audit_chain``); SQLite, which has no writable CTE,
# spends one statement more on each audit write.
_AUDIT_WRITE_MARK = "WITH e AS (INSERT INTO"


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """The query counts the tests assert are SQLite's. On PostgreSQL each audit write
    takes one statement fewer (the head is moved on in the event's insert), so the
    expected count is lowered by the audit writes the block made (a count written down
    on PostgreSQL passes as it is); anything else must match exactly as before."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        return django_assert_num_queries

    @contextmanager
    def assert_num_queries(num, exact=True, connection=None, info=None):
        from django.db import connection as default

        conn = connection or default
        with CaptureQueriesContext(conn) as context:
            yield context
        queries = context.captured_queries
        audits = sum(1 for q in queries if _AUDIT_WRITE_MARK in q["sql"])
        expected = num - audits
        performed = len(queries)
        # A count measured on PostgreSQL already (num itself) passes as well.
        failed = performed not in (expected, num) if exact else performed > num
        if failed:
            listing = "\n".join(q["sql"] for q in queries)
            pytest.fail(
                f"Expected {expected} queries on PostgreSQL ({num} on SQLite, "
                f"{audits} audit writes), {performed} done{': ' + info if info else ''}"
                f"\n{listing}"
            )

    return assert_num_queries


def database_url_of_tests() -> str:
    """The URL of the test database (PostgreSQL), for servers and workers the tests
    start in other processes."""
    from django.db import connections

    database = connections["default"].settings_dict
    return (
        f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )


@pytest.fixture
def personas(db) -> Personas:
    a = MunicipalityFactory(
        code="272035", prefecture="大阪府", name="豊中市", name_kana="トヨナカシ"
    )
    b = MunicipalityFactory(code="322016", prefecture="島根県", name="松江市", name_kana="マツエシ")

    def staff(municipality: Municipality, role: str, username: str) -> User:
        return MembershipFactory(municipality=municipality, role=role, user__username=username).user

    return Personas(
        municipality_a=a,
        municipality_b=b,
        caseworker_a=staff(a, Role.CASEWORKER, "caseworker_a"),
        coordinator_a=staff(a, Role.COORDINATOR, "coordinator_a"),
        community_worker_a=staff(a, Role.COMMUNITY_WORKER, "community_worker_a"),
        manager_a=staff(a, Role.MANAGER, "manager_a"),
        caseworker_b=staff(b, Role.CASEWORKER, "caseworker_b"),
        system_admin=UserFactory(username="system_admin", is_system_admin=True, is_staff=True),
        other_agency_a=staff(a, Role.CASEWORKER, "other_agency_a"),
        multiagency_a=staff(a, Role.MULTIAGENCY, "multiagency_a"),
        outreach_a=staff(a, Role.OUTREACH, "outreach_a"),
    )


@pytest.fixture
def fy2022_roster(db):
    report = roster_import(
        content=ROSTER_FY2022.read_bytes(), file_name=ROSTER_FY2022.name, fiscal_year=2022
    )
    assert report.applied, report.as_text()
    return report


@pytest.fixture(autouse=True)
def _japanese(settings):
    """Each test starts in the default language, whatever an earlier request chose."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _second_factor_passed_on_force_login(request, monkeypatch):
    """``client.force_login(manager)`` gives a session that has passed the second factor
    (managers and system administrators must have one), so tests of other features need
    not type codes. The enforcement stays on; tests of the real flow opt out with
    ``@pytest.mark.real_second_factor``."""
    if request.node.get_closest_marker("real_second_factor"):
        yield
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from municipalities.scoping import forget_membership
    from municipalities.security import PENDING_SESSION_KEY, second_factor_required

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if second_factor_required(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.pop(PENDING_SESSION_KEY, None)
            session.save()
        forget_membership(user)

    monkeypatch.setattr(Client, "force_login", force_login)
    yield

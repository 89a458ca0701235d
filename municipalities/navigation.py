"""The main menu: grouped by 事業 and task, only what the user's role may open, the
current place marked.

Each link names the page it opens and the pages that belong under it (a flag under the
flag queue, a meeting under the meetings), so that ``aria-current`` marks where the user
is also on a detail page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from municipalities.models import Role

CASE = (Role.CASEWORKER, Role.MANAGER, Role.MULTIAGENCY)
EVERYONE = tuple(Role.values)
OUTREACH = (Role.OUTREACH, Role.MANAGER, Role.MULTIAGENCY)


@dataclass(frozen=True)
class Link:
    label: Any
    url_name: str
    roles: tuple[str, ...]
    under: tuple[str, ...] = ()  # other pages (view names) that belong under this link


@dataclass(frozen=True)
class Group:
    title: Any
    links: tuple[Link, ...]


MENU = (
    Group(
        pgettext_lazy("menu", "Consultation"),  # 包括的相談支援事業
        (
            Link(_("Dashboard"), "cases:dashboard", CASE),
            Link(
                _("Find a person"),
                "cases:person_search",
                CASE,
                ("cases:person_detail", "cases:person_edit", "cases:emergency_look"),
            ),
            Link(_("New intake"), "cases:intake", CASE),
            Link(_("Referrals"), "cases:referral_inbox", EVERYONE, ("cases:referral_detail",)),
            Link(_("Flags"), "cases:flag_queue", EVERYONE, ("cases:flag_detail",)),
        ),
    ),
    Group(
        pgettext_lazy("menu", "Multi-agency collaboration"),  # 多機関協働事業
        (
            Link(
                _("Meetings"),
                "cases:meeting_list",
                CASE,
                ("cases:meeting_add", "cases:meeting_detail"),
            ),
            Link(_("Support agencies"), "cases:agency_list", CASE),
        ),
    ),
    Group(
        pgettext_lazy("menu", "Participation support"),  # 参加支援事業
        (
            Link(
                _("Participation inbox"),
                "participation:inbox",
                (Role.COORDINATOR, Role.MANAGER),
                (
                    "participation:matching",
                    "participation:propose",
                    "participation:assignment_detail",
                    "participation:session_log_add",
                    "participation:follow_up_add",
                ),
            ),
            Link(
                _("Participation menus"),
                "participation:catalogue",
                EVERYONE,
                ("participation:menu_new", "participation:menu_detail", "participation:menu_edit"),
            ),
            Link(
                _("Providers"),
                "participation:provider_list",
                (Role.COORDINATOR, Role.MANAGER),
                ("participation:provider_edit", "participation:provider_new"),
            ),
        ),
    ),
    Group(
        pgettext_lazy("menu", "Community building"),  # 地域づくり事業
        (
            Link(
                _("Concerns from the community"),
                "community:concern_queue",
                CASE,
                ("community:concern_detail",),
            ),
            Link(
                _("Record a concern"),
                "community:concern_add",
                (Role.COMMUNITY_WORKER, Role.MANAGER),
            ),
            Link(
                _("Concerns I passed on"),
                "community:my_concerns",
                (Role.COMMUNITY_WORKER, Role.MANAGER),
            ),
            Link(
                _("Platform sessions"),
                "community:session_list",
                (Role.COMMUNITY_WORKER, Role.MANAGER),
                ("community:session_add", "community:session_detail"),
            ),
            Link(
                _("Places and activities"),
                "community:place_register",
                EVERYONE,
                (
                    "community:place_new",
                    "community:place_detail",
                    "community:place_edit",
                    "community:activity_record_add",
                ),
            ),
        ),
    ),
    Group(
        pgettext_lazy("menu", "Outreach"),  # アウトリーチ等を通じた継続的支援事業
        (
            Link(
                _("People we are reaching"),
                "outreach:target_list",
                OUTREACH,
                (
                    "outreach:target_detail",
                    "outreach:hand_over",
                    "outreach:contact_add",
                    "outreach:stage_change",
                    "outreach:name_person",
                ),
            ),
            Link(_("My visits"), "outreach:home", (Role.OUTREACH,)),
            Link(_("Register someone to reach"), "outreach:target_add", OUTREACH),
        ),
    ),
    Group(
        pgettext_lazy("menu", "Administration"),
        (
            Link(
                _("Statistics"),
                "cases:statistics",
                (Role.MANAGER,),
                (
                    "cases:statistics_plan",
                    "cases:statistics_trends",
                    "cases:national_statistics",
                ),
            ),
            Link(_("Audit trail"), "audit_search", (Role.MANAGER,)),
            Link(_("Staff security"), "staff_security", (Role.MANAGER,)),
            Link(_("Organisations"), "staff_organisations", (Role.MANAGER,)),
            Link(_("API tokens"), "api_tokens", (Role.MANAGER,)),
            Link(_("Lists"), "cases:master_data", CASE),
        ),
    ),
)


def menu_for(request: HttpRequest, role: str) -> list[dict[str, Any]]:
    """The groups of links a role sees, each link with its URL and whether it is the
    current place."""
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match is not None else ""
    groups = []
    for group in MENU:
        links = [
            {
                "label": link.label,
                "url": reverse(link.url_name),
                "current": here == link.url_name or here in link.under,
            }
            for link in group.links
            if role in link.roles
        ]
        if links:
            groups.append({"title": group.title, "links": links})
    return groups

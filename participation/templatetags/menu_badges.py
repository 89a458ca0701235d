"""A menu's badges (its kind, made to order, not active), as the catalogue, a menu's page
and the matching page show them, and the catalogue's rows: one call per menu rather than
an ``{% include %}`` or a row of tags, which took the template language most of the
catalogue's time at the national size's 158 menus (bench/README.md)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from participation.models import Menu
from portal.templatetags.quick import escape_text as _esc
from portal.templatetags.quick import number_url

register = template.Library()


@register.simple_tag
def menu_badges(menu: Menu) -> SafeString:
    badges = f'<span class="badge">{_esc(menu.get_kind_display())}</span>'
    if menu.made_for_id:
        badges += f'<span class="badge primary">{_esc(_("made to order"))}</span>'
    if menu.status != Menu.Status.ACTIVE:
        badges += f'<span class="badge warn">{_esc(menu.get_status_display())}</span>'
    return SafeString(badges)


@register.simple_tag
def menu_row(menu: Menu) -> SafeString:
    """One row of the catalogue: the menu (a link, its badges), its provider, area,
    schedule, places taken of its capacity and its accommodations."""
    full = ""
    if menu.in_use >= menu.capacity:
        # As {% translate %} writes a literal's translation: not escaped.
        full = f' <span class="badge warn">{_("full")}</span>'
    accommodations = "".join(
        f'<span class="badge ok">{_esc(label)}</span>' for label in menu.accommodation_labels
    )
    url = number_url("participation:menu_detail", menu.pk)
    return SafeString(
        "\n      <tr>\n"
        f'        <td><a href="{_esc(url)}">{_esc(menu.name)}</a> {menu_badges(menu)}</td>\n'
        f"        <td>{_esc(menu.provider)}</td><td>{_esc(menu.area or '—')}</td>"
        f"<td>{_esc(menu.schedule or '—')}</td>\n"
        f"        <td>{_esc(menu.in_use)}/{_esc(menu.capacity)}{full}</td>\n"
        f"        <td>{accommodations}</td>\n"
        "      </tr>\n    "
    )

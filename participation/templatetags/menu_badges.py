"""A menu's badges (its kind, made to order, not active), as the catalogue, a menu's page
and the matching page show them: one call per menu rather than an ``{% include %}``,
which was a third of the catalogue's template time (bench/README.md)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from participation.models import Menu

register = template.Library()


@register.simple_tag
def menu_badges(menu: Menu) -> SafeString:
    badges = format_html('<span class="badge">{}</span>', menu.get_kind_display())
    if menu.made_for_id:
        badges += format_html('<span class="badge primary">{}</span>', _("made to order"))
    if menu.status != Menu.Status.ACTIVE:
        badges += format_html('<span class="badge warn">{}</span>', menu.get_status_display())
    return badges

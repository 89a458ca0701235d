"""The template engine's faster ``{% url %}`` and ``|date`` (portal/templatetags/quick.py)
write what Django's tag and filter write, for every route that takes one number and for
the dates list pages show, and leave everything else to Django's."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator

import pytest
from django.template import Context, Template, engines
from django.template.defaultfilters import date as django_date
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.templatetags import quick


def _one_number_routes(patterns=None, namespace: str = "") -> Iterator[str]:
    """The names (with their namespaces) of every route that takes one number."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _one_number_routes(p.url_patterns, inner)
        elif isinstance(p, URLPattern) and p.name:
            converters = p.pattern.converters
            if len(converters) == 1 and type(next(iter(converters.values()))).__name__ == (
                "IntConverter"
            ):
                yield f"{namespace}{p.name}"


def _render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_engine_uses_the_quick_tag_and_filter():
    template = engines["django"].from_string("{% url 'cases:case_detail' 1 %}")
    assert isinstance(template.template.nodelist[0], quick.QuickURLNode)


def test_every_route_with_one_number_gives_django_s_url():
    names = sorted(set(_one_number_routes()))
    assert "cases:case_detail" in names
    assert "participation:menu_detail" in names
    assert len(names) > 50
    for name in names:
        for number in (0, 7, 1234567, 7_318_204_659):
            assert _render("{% url name n %}", name=name, n=number) == reverse(
                name, args=[number]
            ), name


def test_anything_else_is_django_s_tag():
    # A string, a negative number, two arguments, ``as``: Django's own, errors included.
    assert _render("{% url 'cases:case_detail' '12' %}") == "/cases/12/"
    with pytest.raises(Exception, match="Reverse"):
        _render("{% url 'cases:case_detail' -1 %}")
    with pytest.raises(Exception, match="Reverse"):
        _render("{% url 'cases:case_detail' None %}")
    with pytest.raises(Exception, match="Reverse"):
        _render("{% url 'cases:case_detail' True %}")  # a bool is not taken for 1
    assert _render("{% url 'cases:no_such_page' 1 as u %}[{{ u }}]") == "[]"
    assert _render("{% url 'cases:dashboard' %}") == reverse("cases:dashboard")
    assert _render("{% url 'cases:dashboard' %}") == reverse("cases:dashboard")  # cached
    with pytest.raises(Exception, match="Reverse"):
        _render("{% url 'cases:no_such_page' %}")
    assert _render("{% url 'cases:case_detail' case_id=5 %}") == "/cases/5/"


def test_the_url_follows_the_url_configuration_and_script_prefix():
    from django.urls import set_script_prefix

    assert _render("{% url 'cases:case_detail' 3 %}") == "/cases/3/"
    set_script_prefix("/portal/")
    try:
        assert _render("{% url 'cases:case_detail' 3 %}") == "/portal/cases/3/"
    finally:
        set_script_prefix("/")
    set_script_prefix("/portal/")
    try:
        assert _render("{% url 'cases:dashboard' %}") == "/portal/cases/"
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="bench.urls"):
        assert _render("{% url 'cases:case_detail' 3 %}") == "/cases/3/"
        assert _render("{% url 'bench_bare' %}") == "/bench/bare/"


def test_a_url_that_does_not_write_its_number_as_is_is_never_cached(monkeypatch):
    # A route whose URL pads its number: the URL of a short number is not the long
    # number's with the number swapped, so every call goes to Django's tag.
    def padded(name, args=None, kwargs=None, current_app=None):
        return f"/x/{args[0]:012d}/"

    monkeypatch.setattr(quick, "reverse", padded)
    monkeypatch.setattr(quick, "_urls", {})
    calls = []
    monkeypatch.setattr(
        quick.URLNode, "render", lambda self, context: calls.append(1) or "django's"
    )
    assert _render("{% url 'padded' 5 %}") == "django's"
    assert _render("{% url 'padded' 6 %}") == "django's"
    assert len(calls) == 2


def test_a_template_made_directly_uses_it_too():
    template = Template("{% url 'cases:case_detail' 9 %}{{ d|date:'Y-m-d' }}")
    assert isinstance(template.nodelist[0], quick.QuickURLNode)
    assert template.nodelist[1].filter_expression.filters[0][0] is quick.date
    with translation.override("ja"):
        out = template.render(Context({"d": datetime.date(2026, 4, 1)}))
    assert out == "/cases/9/2026-04-01"


DATES = [
    datetime.date(2026, 4, 1),
    datetime.date(999, 1, 2),
    datetime.datetime(2026, 3, 31, 23, 59, 58),
    datetime.datetime(2026, 3, 31, 15, 0, 1, tzinfo=datetime.UTC),  # 翌日 00:00 in Japan
    datetime.datetime(2026, 12, 1, 9, 5, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
]
FORMATS = ["Y-m-d", "Y-m-d H:i", "Y-m-d H:i:s", "Y年n月j日", "DATE_FORMAT", "r", None]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_dates_are_django_s_in_every_format_and_language(language):
    with translation.override(language), timezone.override("Asia/Tokyo"):
        for value in [*DATES, None, "", "not a date"]:
            # The template converts an aware datetime to local time before the filter.
            local = (
                timezone.localtime(value)
                if isinstance(value, datetime.datetime) and timezone.is_aware(value)
                else value
            )
            for fmt in FORMATS:
                source = "{{ v|date }}" if fmt is None else f'{{{{ v|date:"{fmt}" }}}}'
                try:
                    expected = django_date(local, fmt)
                except TypeError:  # a time format of a date: Django's error, as is
                    with pytest.raises(TypeError):
                        _render(source, v=value)
                    continue
                assert _render(source, v=value) == expected, (value, fmt)


# Django's select with the project's option template included per option, as it was.
SELECT_WITH_INCLUDES = (
    '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
    "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
    '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
    '  {% include "django/forms/widgets/select_option.html" with widget=option '
    "required=widget.attrs.required %}{% endfor %}{% if group_name %}\n"
    "  </optgroup>{% endif %}{% endfor %}\n</select>"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_select_boxes_write_each_option_as_the_option_template_does(language):
    """The select template writes its options itself (not an include per option): the
    same markup, empty choice wording, selection, groups and escaping."""
    from django import forms

    class Filters(forms.Form):
        required = forms.ChoiceField(choices=[("", "---------"), ("x", "A&B <i>"), ("y", "Y")])
        optional = forms.ChoiceField(choices=[("", "---------"), ("x", "X")], required=False)
        grouped = forms.MultipleChoiceField(
            choices=[("g1", [("1", "一"), ("2", "二")]), ("3", "三")], required=False
        )
        numbers = forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int)
        labels = forms.ChoiceField(
            choices=[
                ("a", gettext_lazy("Choose…")),
                ("b", mark_safe("<b>safe</b>")),
                (3, 1234567),
                ('"q"', datetime.date(2026, 4, 1)),
            ],
            required=False,
        )

    reference = engines["django"].from_string("{% load i18n %}" + SELECT_WITH_INCLUDES)
    with translation.override(language):
        data_sets = (None, {"required": "x", "grouped": ["1", "3"], "numbers": "2", "labels": 3})
        for data in data_sets:
            form = Filters(data)
            for field in form:
                attrs = field.build_widget_attrs({})
                attrs["id"] = field.auto_id
                widget = field.field.widget
                context = widget.get_context(field.html_name, field.value(), attrs)
                assert str(field) == reference.render(context), field.name


def test_a_url_written_in_python_is_reverse_s():
    for number in (0, 5, 1234567):
        assert quick.number_url("cases:case_detail", number) == reverse(
            "cases:case_detail", args=[number]
        )
    assert quick.number_url("cases:case_detail", "12") == "/cases/12/"
    with pytest.raises(Exception, match="Reverse"):
        quick.number_url("cases:case_detail", -1)


# --- {% translate %} kept per language (portal/templatetags/quick_i18n.py) ----------------

TRANSLATE_SOURCES = [
    '{% translate "Flags" %}',
    '{% trans "Flags" %}',
    "{% translate 'Flags' %}",
    '{% translate "A & B <i>" %}',
    '{% translate "100%% done" %}',
    "{% translate label %}",
    '{% translate "Flags"|upper %}',
    '{% translate "May" context "month name" %}',
    '{% translate "Flags" as x %}[{{ x }}]',
    '{% translate "Flags" noop %}',
    "{% blocktranslate %}Page {{ page }}{% endblocktranslate %}",
]


def _django_i18n_engine():
    """The project's engine, but with Django's own i18n library."""
    from django.template import Engine

    engine = engines["django"].engine
    return Engine(
        dirs=engine.dirs,
        app_dirs=engine.app_dirs,
        context_processors=engine.context_processors,
        builtins=["portal.templatetags.quick"],
        libraries={"i18n": "django.templatetags.i18n"},
    )


@pytest.mark.parametrize("autoescape", [True, False])
def test_translate_gives_django_s_text_in_every_form(autoescape):
    from portal.templatetags.quick_i18n import KeptTranslateNode

    reference_engine = _django_i18n_engine()
    for source in TRANSLATE_SOURCES:
        body = "{% load i18n %}" + source
        if not autoescape:
            body = "{% autoescape off %}" + body + "{% endautoescape %}"
        ours = Template(body)
        reference = reference_engine.from_string(body)
        for language in ("ja", "en", "ja"):  # back to the first: kept per language
            with translation.override(language):
                context = {"label": "Flags", "page": 3}
                assert ours.render(Context(context)) == reference.render(Context(context)), (
                    source,
                    language,
                )
    kept = Template("{% load i18n %}" + TRANSLATE_SOURCES[0]).nodelist[-1]
    assert isinstance(kept, KeptTranslateNode)
    for source in TRANSLATE_SOURCES[5:10]:
        node = Template("{% load i18n %}" + source).nodelist[1]
        assert not isinstance(node, KeptTranslateNode), source


def test_a_kept_translation_follows_the_language_and_its_settings(settings):
    template = Template('{% load i18n %}{% translate "Flags" %}')
    with translation.override("ja"):
        assert template.render(Context()) == "フラグ"
    with translation.override("en"):
        assert template.render(Context()) == "Flags"
    with translation.override("ja"):
        assert template.render(Context()) == "フラグ"
        # Without the project's catalogue the message has no Japanese: not the kept one.
        with override_settings(LOCALE_PATHS=[]):
            assert template.render(Context()) == "Flags"
        assert template.render(Context()) == "フラグ"


def test_the_replaced_i18n_library_is_not_a_warning_but_another_clash_is(settings):
    """The engine's i18n library is replaced on purpose: the system check says nothing
    about it, and still warns of any other library name with two modules."""
    from django.core import checks

    assert not [m for m in checks.run_checks(tags=["templates"]) if m.id == "templates.W003"]
    # Another library name taken twice (the engines are made again from the settings).
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "libraries": {"static": "portal.templatetags.quick"},
            },
        }
    ]
    clashes = [m for m in checks.run_checks(tags=["templates"]) if m.id == "templates.W003"]
    assert len(clashes) == 1
    assert "'static'" in clashes[0].msg

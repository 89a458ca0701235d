"""What the load test's virtual staff read from a page: the links they follow and the
forms they fill in, as a browser would submit them (hidden fields such as the CSRF token
kept, each select's chosen option, ticked boxes). Standard library only, so that the
test suite can check it without the load tool."""

from __future__ import annotations

import datetime
import html as html_module
import random
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    """One ``<form>``: its action and method, and the fields a browser would send."""

    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Every option of each select and every value of each checkbox/radio group: what a
    # user could choose from.
    choices: dict[str, list[str]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)
    checkboxes: set[str] = field(default_factory=set)

    def filled(self, **values: str | list[str]) -> dict[str, str | list[str]]:
        """``values``, and a random choice for each select or radio group of the form that
        would otherwise be sent empty (a required choice left blank); checkboxes are left
        as they are."""
        sent = dict(self.fields)
        chosen: dict[str, str | list[str]] = {
            name: random.choice(options)
            for name, options in self.choices.items()
            if options and not sent.get(name) and name not in values and name not in self.checkboxes
        }
        return {**chosen, **values}

    def data(self, **overrides: str | list[str]) -> list[tuple[str, str]]:
        """The fields as a browser sends them, with ``overrides`` replacing a field's
        values (a list for several values of one name; an empty list sends none)."""
        sent = [(name, value) for name, value in self.fields if name not in overrides]
        for name, value in overrides.items():
            values = value if isinstance(value, list) else [value]
            sent.extend((name, v) for v in values)
        return sent


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name", "")
        if form is None or (tag in ("input", "select", "textarea") and not name):
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            form.names.add(name)
            if kind == "checkbox":
                form.checkboxes.add(name)
            if kind in ("checkbox", "radio"):
                form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form.fields.append((name, a.get("value", "on")))
            else:
                form.fields.append((name, a.get("value", "")))
        elif tag == "select":
            self._select, self._select_options = name, []
            form.names.add(name)
        elif tag == "option" and self._select is not None:
            self._option(a)
        elif tag == "textarea":
            self._textarea, self._text = name, []
            form.names.add(name)

    def _option(self, a: dict[str, str]) -> None:
        self._select_options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "select" and form is not None and self._select is not None:
            values = [value for value, _selected in self._select_options]
            form.choices[self._select] = [v for v in values if v]
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and values:
                chosen = values[:1]  # a browser sends the first option of a single select
            form.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and form is not None and self._textarea is not None:
            form.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_with(html: str, field_name: str) -> Form | None:
    """The first form of the page that has a field named ``field_name``."""
    return next((f for f in forms(html) if field_name in f.names), None)


def links(html: str, pattern: str) -> list[str]:
    """The distinct hrefs matching ``pattern`` (a regular expression of the path), in the
    order of the page."""
    found = (html_module.unescape(h) for h in re.findall(r'href="([^"]*)"', html))
    return list(dict.fromkeys(h for h in found if re.fullmatch(pattern, h)))


# The page's error block above a form, a field's error, or Django's own error list.
ERROR_BLOCK = (
    r'<(?:div|span|ul) class="(?:error|field-error|errorlist)[^"]*"[^>]*>(.*?)</(?:div|span|ul)>'
)


def form_errors(html: str) -> str:
    """The error messages a page shows beside its form fields, for the error report."""
    found = re.findall(ERROR_BLOCK, html, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", e) for e in found)
    return " ".join(html_module.unescape(text).split())[:300]


# A participant's row on a menu page: the assignment, its status, its start date.
PARTICIPANT = (
    r'<a href="(/participation/assignments/\d+/)">[^<]*</a></td><td>[^<]*</td>'
    r"<td>(\d{4}-\d{2}-\d{2})?</td>"
)


def started_participants(html: str, today: datetime.date) -> list[str]:
    """The assignments of a menu page that have started by ``today`` (a session is
    logged on or after the start)."""
    return [
        path
        for path, start in re.findall(PARTICIPANT, html)
        if start and start <= today.isoformat()
    ]

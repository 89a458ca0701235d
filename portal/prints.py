"""A4 prints (帳票) as PDF: a template extending ``prints/base.html`` rendered to HTML
and laid out by WeasyPrint with the A4 stylesheet of that base — boxes like the
national forms, the municipality's name at the top, 令和 dates, page numbers.

Every print of the portal goes through ``render_pdf`` and answers with ``pdf_response``;
the view that calls them reads through its scoped layer and audits the print as an
export, like any other. WeasyPrint needs Debian's pango and a CJK font
(``fonts-noto-cjk``); it is imported on first use, so pages that print nothing do not
load it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def render_pdf(
    template_name: str, context: dict[str, Any], request: HttpRequest | None = None
) -> bytes:
    """The template (extending ``prints/base.html``) as an A4 PDF."""
    from weasyprint import HTML

    html = render_to_string(template_name, context, request=request)
    return HTML(string=html).write_pdf()


def pdf_response(pdf: bytes, filename: str, *, download: bool = False) -> HttpResponse:
    """The PDF for the browser, shown (or saved, ``download``) under ``filename``; never
    cached, as it holds personal data."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response

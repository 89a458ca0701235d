"""Render every page the demo accounts reach by following links, for comparing two
versions of the code (a refactoring must not change what anyone sees).

    DATABASE_URL=sqlite:///demo-copy.sqlite3 .venv/bin/python bench/render_pages.py OUT

Run it twice on copies of the same demo database (``make setup`` builds one), once per
version of the code, then ``diff -r`` the two folders. Each account starts at its
home pages and follows links breadth-first (GET only, at most ``--limit`` pages);
the clock is fixed, and CSRF tokens, CSP nonces and the random key of the
authenticator enrolment page are masked, so equal code gives equal files. It writes
through the audit log of the copy it is given, never of the demo you use.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import os
import re
import sys
import zoneinfo
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
ACCOUNTS = (
    "a-caseworker", "a-coordinator", "a-community", "a-manager",
    "b-caseworker", "b-manager", "sysadmin",
)  # fmt: skip
START = ("/", "/cases/", "/participation/", "/community/", "/api/", "/audit/")
SKIP = re.compile(r"^/(logout|i18n|admin|static|api/docs|api/schema)|\.(js|css|svg|png)$|export")
HREF = re.compile(r'href="([^"#]+)"')
MASKS = (
    (
        re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),
        'name="csrfmiddlewaretoken" value="-"',
    ),
    (re.compile(r'nonce="[^"]+"'), 'nonce="-"'),
    (re.compile(r'id="totp-secret">[^<]+<'), 'id="totp-secret">-<'),
)
FIXED_NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))


def _client(username: str):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from municipalities.models import User
    from municipalities.security import PENDING_SESSION_KEY, second_factor_required

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    if second_factor_required(user):  # as if the code had been typed
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.pop(PENDING_SESSION_KEY, None)
        session.save()
    return client


def render(username: str, out: Path, limit: int) -> int:
    client = _client(username)
    seen: set[str] = set()
    queue = list(START)
    (out / username).mkdir(parents=True, exist_ok=True)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        body = response.content.decode("utf-8", "replace")
        for pattern, mask in MASKS:
            body = pattern.sub(mask, body)
        name = hashlib.sha256(url.encode()).hexdigest()[:12]
        location = response.get("Location", "")
        header = f"<!-- {url} {response.status_code} {location} -->\n"
        (out / username / f"{name}.html").write_text(header + body)
        if response.status_code in (301, 302) and location.startswith("/"):
            queue.append(location)
        elif response.get("Content-Type", "").startswith("text/html"):
            for href in sorted(set(HREF.findall(body))):
                target = urljoin(url, href.replace("&amp;", "&"))
                if not urlsplit(target).netloc and not SKIP.search(target):
                    queue.append(target)
    return len(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the pages into")
    parser.add_argument("--limit", type=int, default=800, help="most pages per account")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django
    import time_machine

    django.setup()
    with time_machine.travel(FIXED_NOW, tick=False):
        for username in ACCOUNTS:
            print(f"{username}: {render(username, args.out, args.limit)} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())

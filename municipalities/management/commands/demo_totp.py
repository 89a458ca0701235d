"""Print the current second-factor code of a demo account (development only)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current six-digit code of a demo account's authenticator (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args, **options) -> None:
        from demo.staff import DEMO_TOTP_KEY, demo_usernames  # the demo is loaded on demand

        username = options["username"]
        if not settings.DEBUG:
            raise CommandError("Refusing with DEBUG off: demo codes are for development only.")
        if username not in demo_usernames():
            raise CommandError(f"{username} is not a demo account.")
        device = TOTPDevice.objects.filter(
            user__username=username, confirmed=True, key=DEMO_TOTP_KEY
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator; run seed_demo first.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")

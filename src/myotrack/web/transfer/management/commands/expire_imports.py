"""``expire_imports``: delete staged imports (previews never committed or cancelled)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from myotrack.web.importer import expire_staged


class Command(BaseCommand):
    help = (
        "Delete staged imports older than IMPORT_KEEP_HOURS (MYOTRACK_IMPORT_KEEP_HOURS, "
        "default 24); uploads do it too. Run it from cron where uploads are rare. "
        "Example: DJANGO_SETTINGS_MODULE=myotrack.web.settings django-admin expire_imports --hours 6"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=float, default=None, help="age in hours (default IMPORT_KEEP_HOURS)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["hours"] if options["hours"] is not None else settings.IMPORT_KEEP_HOURS
        removed = expire_staged(hours)
        noun = "staged import" if removed == 1 else "staged imports"
        self.stdout.write(f"{removed} {noun} older than {hours:g} hours deleted")

import difflib
import sys

from django.core.management.base import BaseCommand

from qifu.core.openapi import CONTRACT_PATH, live_contract, render


class Command(BaseCommand):
    help = "Write the API contract to openapi.json, or --check that the committed file matches the code."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="exit 1 if openapi.json differs from the live contract"
        )

    def handle(self, *args, check, **options):
        live = render(live_contract())
        if check:
            committed = CONTRACT_PATH.read_text() if CONTRACT_PATH.exists() else ""
            if committed != live:
                diff = difflib.unified_diff(
                    committed.splitlines(),
                    live.splitlines(),
                    "openapi.json (committed)",
                    "openapi.json (code)",
                    lineterm="",
                )
                self.stderr.write("\n".join(list(diff)[:200]))
                self.stderr.write(
                    "\nAPI contract drift: run `.venv/bin/python manage.py openapi` and commit openapi.json"
                )
                sys.exit(1)
            self.stdout.write("openapi.json matches the code")
            return
        CONTRACT_PATH.write_text(live)
        self.stdout.write(f"wrote {CONTRACT_PATH}")

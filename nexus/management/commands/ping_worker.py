import time
import uuid

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError

from nexus.tasks import heartbeat_task


class Command(BaseCommand):
    help = "Send one task through the broker and wait until a worker has run it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0)

    def handle(self, *args, timeout: float, **options):
        token = uuid.uuid4().hex
        heartbeat_task.delay(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cache.get(f"nexus:heartbeat:{token}") == "ok":
                self.stdout.write(self.style.SUCCESS(f"worker answered ({token})"))
                return
            time.sleep(0.5)
        raise CommandError(f"no worker ran the task within {timeout:.0f}s")

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_ADMIN = ("admin", "nexus-demo-admin")


class Command(BaseCommand):
    help = "Create the demo admin and each app's demo data (apps' demo.py load())."

    def handle(self, *args, **options):
        from accounts.models import User

        username, password = DEMO_ADMIN
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            if user is None:
                User.objects.create_superuser(
                    username=username,
                    email="admin@nexus.example",
                    password=password,
                    full_name="Demo Admin",
                )
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            self.stdout.write(f"demo data: {config.label}")
            module.load(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDemo admin: username '{username}', password '{password}'"
                "  →  http://127.0.0.1:8000/\n"
            )
        )

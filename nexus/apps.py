from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NexusConfig(AppConfig):
    name = "nexus"
    verbose_name = _("Nexus")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks, strict  # noqa: F401  (registers system checks)
        from .schema import register_enum_names

        register_enum_names()
        strict.enable()  # JSON bodies read with the schema's types (issue 10)

        connection_created.connect(_sqlite_pragmas)


def _sqlite_pragmas(sender, connection, **kwargs) -> None:
    # init_command is not applied by every Django version for SQLite; make sure the
    # foreign-key and WAL pragmas hold on every connection.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys=ON;")

#!/usr/bin/env python
import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus.settings")
    import environ

    environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)
    # A developer's shell has neither variable: run in development mode rather than
    # fail for want of a secret. A production environment always sets
    # DJANGO_SECRET_KEY (and DJANGO_DEBUG=0), so it keeps the strict settings.
    if "DJANGO_DEBUG" not in os.environ and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ["DJANGO_DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

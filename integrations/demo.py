"""Demo data: point the connections at the sandbox upstreams of `make run`.

`make run` starts `python -m integrations.sandbox --datto-port 8701
--freshservice-port 8702` (Procfile.dev), so "Run now" on the Integrations page
performs a full sync against real-looking data. A connection that already points
somewhere else is left alone.
"""

from django.db import transaction

from .choices import ConnectionKind
from .models import Connection
from .sandbox.__main__ import (
    DEMO_DATTO_KEY,
    DEMO_DATTO_SECRET,
    DEMO_FRESHSERVICE_KEY,
)

DATTO_URL = "http://127.0.0.1:8701"
FRESHSERVICE_URL = "http://127.0.0.1:8702"
SANDBOX_URLS = {DATTO_URL, FRESHSERVICE_URL, ""}


@transaction.atomic
def load(stdout=None) -> None:
    wanted = {
        ConnectionKind.DATTO: {
            "base_url": DATTO_URL,
            "api_key": DEMO_DATTO_KEY,
            "api_secret": DEMO_DATTO_SECRET,
        },
        ConnectionKind.FRESHSERVICE: {
            "base_url": FRESHSERVICE_URL,
            "api_key": DEMO_FRESHSERVICE_KEY,
        },
    }
    for kind, values in wanted.items():
        connection, _created = Connection.objects.get_or_create(kind=kind)
        if connection.base_url not in SANDBOX_URLS:
            continue
        changed = [k for k, v in values.items() if getattr(connection, k) != v]
        if changed:
            for key in changed:
                setattr(connection, key, values[key])
            connection.save()
        if stdout is not None:
            stdout.write(f"  {connection}: {connection.base_url} (sandbox)")

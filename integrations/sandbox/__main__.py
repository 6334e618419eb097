"""`python -m integrations.sandbox`: run both fake upstreams until interrupted.

Standalone on purpose (no Django needed), so `make run` and the bench can start
it as a separate process.
"""

import argparse
import json
import signal
import sys
import threading

from .datto import DattoSandbox
from .freshservice import FreshserviceSandbox
from .seed import build_world

DEMO_DATTO_KEY, DEMO_DATTO_SECRET = "demo-datto-key", "demo-datto-secret"
DEMO_FRESHSERVICE_KEY = "demo-freshservice-key"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--datto-port", type=int, default=8701)
    parser.add_argument("--freshservice-port", type=int, default=8702)
    parser.add_argument("--sites", type=int, default=25)
    parser.add_argument("--devices-per-site", type=int, default=8)
    parser.add_argument("--requesters", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-throttle", action="store_true",
                        help="turn both upstreams' rate limits off")  # fmt: skip
    parser.add_argument("--timestamps", choices=("ms", "iso"), default="ms")
    parser.add_argument("--datto-key", default=DEMO_DATTO_KEY)
    parser.add_argument("--datto-secret", default=DEMO_DATTO_SECRET)
    parser.add_argument("--freshservice-key", default=DEMO_FRESHSERVICE_KEY)
    args = parser.parse_args(argv)

    world = build_world(
        seed=args.seed,
        sites=args.sites,
        devices_per_site=args.devices_per_site,
        requesters=args.requesters,
    )
    datto = DattoSandbox(
        world,
        host=args.host,
        port=args.datto_port,
        api_key=args.datto_key,
        api_secret=args.datto_secret,
        rate_limit=0 if args.no_throttle else 600,
        timestamps=args.timestamps,
    ).start()
    freshservice = FreshserviceSandbox(
        world,
        host=args.host,
        port=args.freshservice_port,
        api_key=args.freshservice_key,
        plan=None if args.no_throttle else "growth",
    ).start()
    del world
    print(
        json.dumps({"datto": datto.url, "freshservice": freshservice.url}), flush=True
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    datto.stop()
    freshservice.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

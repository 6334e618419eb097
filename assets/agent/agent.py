"""The agent's loop: enrol, report, fetch jobs, run them, post results.

Only the standard library is used, so the agent runs on any host with Python 3.10+
and no Django. What it collects comes from the OS directly (/proc on Linux,
shutil.disk_usage everywhere).
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

VERSION = "1.0.0"
USER_AGENT = f"nexus-agent/{VERSION}"
HTTP_TIMEOUT = 30
# Output sent back per stream (the server keeps at most 200,000 characters).
MAX_OUTPUT = 100_000


class ServerError(Exception):
    def __init__(self, status: int, body: str, retry_after: float | None = None):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status, self.body, self.retry_after = status, body, retry_after


# --- HTTP ---------------------------------------------------------------------


def request(server: str, method: str, path: str, *, key: str | None = None, body=None):
    url = urllib.parse.urljoin(server.rstrip("/") + "/", path.lstrip("/"))
    data = None if body is None else json.dumps(body).encode()
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    if data is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["X-Agent-Key"] = key
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as response:
            raw = response.read().decode() or "null"
            return json.loads(raw)
    except urllib.error.HTTPError as exc:
        retry = exc.headers.get("Retry-After") if exc.headers else None
        raise ServerError(
            exc.code,
            exc.read().decode(errors="replace"),
            float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
        ) from None


# --- State --------------------------------------------------------------------


def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)


# --- Collecting -----------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def os_name() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip().strip('"')
    return f"{platform.system()} {platform.release()}".strip()


def uptime_seconds() -> int | None:
    text = _read("/proc/uptime").split()
    return int(float(text[0])) if text else None


def cpu_percent() -> float | None:
    """The 1-minute load average per CPU, as a percentage (capped at 100)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return round(min(100.0, 100.0 * load / (os.cpu_count() or 1)), 1)


def memory_percent() -> float | None:
    values = {}
    for line in _read("/proc/meminfo").splitlines():
        name, _sep, rest = line.partition(":")
        if rest.strip():
            values[name] = int(rest.split()[0])
    total, available = values.get("MemTotal"), values.get("MemAvailable")
    if not total or available is None:
        return None
    return round(100.0 * (total - available) / total, 1)


def disk_percent(path: str = "/") -> float | None:
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        return None
    return round(100.0 * usage.used / usage.total, 1) if usage.total else None


def logged_in_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return ""


def ip_addresses(server: str) -> list[str]:
    """The address used to reach the server (a UDP connect sends nothing)."""
    addresses = []
    host = urllib.parse.urlsplit(server).hostname or "127.0.0.1"
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 9))
            addresses.append(probe.getsockname()[0])
    except OSError:
        pass
    return addresses


def collect(server: str) -> dict:
    data = {
        "hostname": socket.gethostname()[:150] or "unknown",
        "platform": platform.platform()[:100],
        "operating_system": os_name()[:200],
        "agent_version": VERSION,
        "uptime_seconds": uptime_seconds(),
        "cpu_percent": cpu_percent(),
        "memory_percent": memory_percent(),
        "disk_percent": disk_percent(),
        "logged_in_user": logged_in_user()[:150],
        "ip_addresses": ip_addresses(server),
    }
    return {k: v for k, v in data.items() if v is not None}


# --- Jobs -----------------------------------------------------------------------


def shell_command(shell: str, script: str) -> list[str]:
    # The script is the administrator's by design; it is passed as one argument
    # to the chosen interpreter, never spliced into a command line of ours.
    if shell == "powershell":
        exe = shutil.which("pwsh") or shutil.which("powershell") or "pwsh"
        return [exe, "-NoProfile", "-NonInteractive", "-Command", script]
    return ["/bin/sh", "-c", script]


def run_job(job: dict) -> dict:
    if job.get("kind") == "file":
        try:
            name = os.path.basename(job.get("file_name") or "upload.bin")
            folder = Path(job.get("destination") or ".").expanduser()
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            target.write_bytes(base64.b64decode(job.get("file_content") or ""))
        except (OSError, ValueError) as exc:
            return {"exit_code": 1, "stdout": "", "stderr": str(exc)}
        return {"exit_code": 0, "stdout": f"wrote {target}", "stderr": ""}
    try:
        done = subprocess.run(
            shell_command(job.get("shell", "sh"), job.get("script", "")),
            capture_output=True,
            text=True,
            timeout=max(1, int(job.get("timeout_seconds") or 300)),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else (exc.stdout or "")
        )
        return {"exit_code": 124, "stdout": out[-MAX_OUTPUT:], "stderr": "timed out"}
    except OSError as exc:
        return {"exit_code": 127, "stdout": "", "stderr": str(exc)}
    return {
        "exit_code": done.returncode,
        "stdout": done.stdout[-MAX_OUTPUT:],
        "stderr": done.stderr[-MAX_OUTPUT:],
    }


# --- Cycle ----------------------------------------------------------------------


def enrol(server: str, token: str, state_file: Path) -> dict:
    info = collect(server)
    answer = request(
        server,
        "POST",
        "/api/fleet/enrol",
        body={
            "token": token,
            "hostname": info["hostname"],
            "platform": info.get("platform", ""),
            "agent_version": VERSION,
        },
    )
    state = {"server": server, "key": answer["key"], "agent_id": answer["agent_id"]}
    save_state(state_file, state)
    return state


def cycle(server: str, key: str, log) -> int:
    """Report once, then run every job waiting for this agent. Returns the
    number of jobs run."""
    request(server, "POST", "/api/fleet/ingest", key=key, body=collect(server))
    jobs = request(server, "GET", "/api/fleet/jobs", key=key) or []
    for job in jobs:
        log(f"running job {job['id']} ({job.get('kind')})")
        result = run_job(job)
        try:
            request(
                server,
                "POST",
                f"/api/fleet/jobs/{job['id']}/result",
                key=key,
                body=result,
            )
        except ServerError as exc:  # cancelled meanwhile, or timed out
            log(f"result of job {job['id']} refused: {exc}")
    return len(jobs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assets.agent", description=__doc__)
    parser.add_argument("--server", required=True, help="Nexus base URL")
    parser.add_argument("--enrol-token", help="enrolment token (first run only)")
    parser.add_argument(
        "--state-file",
        default=str(Path.home() / ".nexus-agent.json"),
        help="where the agent key is kept (mode 0600)",
    )
    parser.add_argument("--interval", type=float, default=60.0, help="seconds")
    parser.add_argument("--once", action="store_true", help="one cycle, then exit")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(f"nexus-agent: {message}", file=sys.stderr, flush=True)

    state_file = Path(args.state_file)
    state = load_state(state_file)
    try:
        if not state.get("key"):
            if not args.enrol_token:
                log("not enrolled: give --enrol-token")
                return 2
            state = enrol(args.server, args.enrol_token, state_file)
            log(f"enrolled as agent {state['agent_id']}")
        while True:
            try:
                cycle(args.server, state["key"], log)
            except ServerError as exc:
                if args.once:
                    raise
                log(str(exc))
                time.sleep(exc.retry_after or args.interval)
                continue
            except OSError as exc:
                if args.once:
                    raise
                log(f"server unreachable: {exc}")
            if args.once:
                return 0
            time.sleep(args.interval)
    except ServerError as exc:
        log(str(exc))
        return 1
    except OSError as exc:
        log(f"server unreachable: {exc}")
        return 1
    except KeyboardInterrupt:
        return 0

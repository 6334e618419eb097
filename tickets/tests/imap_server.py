"""A private Dovecot IMAP server on loopback for the email-to-ticket tests.

It runs from its own configuration in a temporary directory: a free port,
plaintext login on 127.0.0.1, one passwd-file user, Maildir storage. Nothing of
the machine's own Dovecot setup is used or touched.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    root: Path
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) for the server's processes."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    internal = "dovecot" if _user_exists("dovecot") else "nobody"
    entry = pwd.getpwnam(internal)
    return login, internal, entry.pw_uid, entry.pw_gid


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def start_server(
    username: str = "support", password: str = "imap-pass-123"
) -> ImapServer:
    if DOVECOT is None:
        raise RuntimeError("dovecot is not installed")
    root = Path(tempfile.mkdtemp(prefix="nexus-dovecot-"))
    # The unprivileged login and mail processes must be able to reach the tree.
    root.chmod(0o755)
    login_user, internal_user, uid, gid = _accounts()
    port = free_port()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    os.chown(root / "mail", uid, gid)
    group = grp.getgrgid(gid).gr_name
    (root / "passwd").write_text(f"{username}:{{PLAIN}}{password}::::::\n")
    (root / "dovecot.conf").write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {group}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = (
                process.stderr.read().decode(errors="replace") if process.stderr else ""
            )
            log = (
                (root / "dovecot.log").read_text()
                if (root / "dovecot.log").exists()
                else ""
            )
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"dovecot exited: {error}\n{log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("dovecot did not start listening")
    return ImapServer("127.0.0.1", port, username, password, root, process)

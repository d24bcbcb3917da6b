"""Who may use the app: a file of ``user:password-hash`` lines named by ``RLA_AUTH``.

Hashes are PBKDF2-SHA256 as written by ``rla add-user`` (``pbkdf2_sha256$iterations$salt$hash``,
salt and hash in base64) or bcrypt as written by ``htpasswd -nbB user`` (``$2b$...``). A plain
password in the file is refused, so a copied file never gives the passwords away. After
``MAX_FAILURES`` wrong passwords for one user within ``LOCKOUT_S`` seconds, that user is
refused for the rest of the window (guessing costs time, and each guess a hash).

The UI binds 127.0.0.1 unless told otherwise; any other address needs ``RLA_AUTH``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.errors import SettingsError

ITERATIONS = 600_000  # OWASP's figure for PBKDF2-SHA256; about 0.4 s a check on one core
MAX_FAILURES = 10
LOCKOUT_S = 300.0
_DUMMY = "pbkdf2_sha256$600000$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


def hash_password(password: str, *, iterations: int = ITERATIONS) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    b64 = base64.b64encode
    return f"pbkdf2_sha256${iterations}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        import bcrypt  # installed with chromadb

        return bool(bcrypt.checkpw(password.encode(), stored.encode()))
    try:
        scheme, rounds, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(rounds)
        )
        return hmac.compare_digest(got, base64.b64decode(digest))
    except (ValueError, TypeError):
        return False


def load_users(path: Path) -> dict[str, str]:
    """``user -> hash`` from an auth file; a ``SettingsError`` names what is wrong with it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SettingsError(f"RLA_AUTH: cannot read {path} ({err.strerror})") from None
    users: dict[str, str] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, stored = line.partition(":")
        if not sep or not user or not stored:
            raise SettingsError(f"RLA_AUTH: {path} line {number} is not user:password-hash")
        if not stored.startswith(("pbkdf2_sha256$", "$2a$", "$2b$", "$2y$")):
            raise SettingsError(
                f"RLA_AUTH: {path} line {number}: the password is not hashed; "
                "add users with `rla add-user NAME`"
            )
        users[user] = stored
    if not users:
        raise SettingsError(f"RLA_AUTH: {path} has no users; add one with `rla add-user NAME`")
    return users


def set_user(path: Path, user: str, password: str) -> None:
    """Add ``user`` to the auth file (or change their password); the file is private (0600)."""
    if not user or ":" in user or any(c.isspace() for c in user):
        raise SettingsError("a user name cannot be empty or hold ':' or spaces")
    kept = []
    if path.exists():
        kept = [ln for ln in path.read_text(encoding="utf-8").splitlines()
                if ln.partition(":")[0].strip() != user]
    kept.append(f"{user}:{hash_password(password)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(kept) + "\n")
    os.replace(partial, path)


def checker(users: dict[str, str]) -> Callable[[str, str], bool]:
    """A ``(user, password) -> bool`` check with a lock-out after repeated failures."""
    failures: dict[str, list[float]] = {}
    lock = threading.Lock()

    def check(user: str, password: str) -> bool:
        now = time.monotonic()
        with lock:
            recent = [t for t in failures.get(user, []) if now - t < LOCKOUT_S]
            failures[user] = recent
            if len(recent) >= MAX_FAILURES:
                return False
        stored = users.get(user)
        ok = verify_password(password, stored or _DUMMY) and stored is not None
        if not ok:
            with lock:
                failures.setdefault(user, []).append(now)
        return ok

    return check


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the app on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

"""Who may use the app: a file of ``user:password-hash`` lines named by ``RLA_AUTH``.

Hashes are PBKDF2-SHA256 as written by ``rla add-user`` (``pbkdf2_sha256$iterations$salt$hash``,
salt and hash in base64) or bcrypt as written by ``htpasswd -nbB user`` (``$2b$...``). A plain
password in the file is refused, so a copied file never gives the passwords away.

Guessing is slowed, and nobody is locked out: login attempts are counted per (user name,
client address). The first ``FREE_FAILURES`` wrong passwords cost nothing; after that each
further attempt from that key must wait ``BASE_DELAY_S`` seconds, doubling with every failure
up to ``MAX_DELAY_S``. An attempt inside its wait is refused (``TooManyAttempts``) without the
password being checked. Each attempt is counted under a lock before its password is hashed,
so a burst of simultaneous attempts gets no more guesses than one at a time. One address is
also slowed across all user names after ``FREE_FAILURES_PER_ADDRESS`` failures (spraying one
password over many names). A correct password clears its key; a key is forgotten after
``FORGET_S`` seconds without an attempt. The real user, from another address, is never slowed
by someone else's failures.

The UI binds 127.0.0.1 unless told otherwise; any other address needs ``RLA_AUTH``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import RlaError, SettingsError

ITERATIONS = 600_000  # OWASP's figure for PBKDF2-SHA256; about 0.4 s a check on one core
FREE_FAILURES = 5  # wrong passwords per (user, address) before attempts must wait
FREE_FAILURES_PER_ADDRESS = 30  # wrong passwords per address, over all user names
BASE_DELAY_S = 1.0  # the first wait; it doubles with each further failure
MAX_DELAY_S = 300.0
FORGET_S = 3600.0  # a key with no attempt for this long starts afresh
MAX_KEYS = 100_000  # memory bound: the keys least recently tried are forgotten first
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


class TooManyAttempts(RlaError):
    """A login attempt refused, unchecked, because it came inside its key's wait."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(
            f"Too many wrong passwords from this address: wait {math.ceil(wait_s)} s before "
            "trying again."
        )


@dataclass
class _Tries:
    failures: int  # attempts not followed by a success, including ones being checked now
    last: float  # when the latest of them started


class LoginThrottle:
    """Growing waits between failed attempts, per key; thread-safe."""

    def __init__(
        self,
        *,
        free: int = FREE_FAILURES,
        free_per_address: int = FREE_FAILURES_PER_ADDRESS,
        base_s: float = BASE_DELAY_S,
        max_s: float = MAX_DELAY_S,
        forget_s: float = FORGET_S,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.free_per_address = free, free_per_address
        self.base_s, self.max_s, self.forget_s = base_s, max_s, forget_s
        self.max_keys, self.clock = max_keys, clock
        # (user, address) and (address,) keys, the least recently tried first
        self._tries: dict[tuple[str, ...], _Tries] = {}
        self._lock = threading.Lock()

    def delay(self, failures: int, free: int) -> float:
        """How long after the latest attempt the next may come, after ``failures``."""
        if failures < free:
            return 0.0
        return min(self.base_s * 2.0 ** min(failures - free, 64), self.max_s)

    def reserve(self, user: str, client: str) -> None:
        """Count an attempt of ``user`` from ``client`` before its password is checked;
        ``TooManyAttempts`` (nothing counted) if it comes inside a wait."""
        now = self.clock()
        keys = (((user, client), self.free), ((client,), self.free_per_address))
        with self._lock:
            wait = 0.0
            for key, free in keys:
                tries = self._tries.get(key)
                if tries is not None and now - tries.last >= self.forget_s:
                    del self._tries[key]
                elif tries is not None:
                    wait = max(wait, tries.last + self.delay(tries.failures, free) - now)
            if wait > 0:
                raise TooManyAttempts(wait)
            for key, _ in keys:
                tries = self._tries.pop(key, None) or _Tries(0, now)
                self._tries[key] = _Tries(tries.failures + 1, now)  # now the newest
            while len(self._tries) > self.max_keys:
                del self._tries[next(iter(self._tries))]

    def succeeded(self, user: str, client: str) -> None:
        """The reserved attempt had the right password: its key starts afresh."""
        with self._lock:
            self._tries.pop((user, client), None)
            address = self._tries.get((client,))
            if address is not None:
                address.failures = max(0, address.failures - 1)


def checker(
    users: dict[str, str], throttle: LoginThrottle | None = None
) -> Callable[[str, str, str], bool]:
    """A ``(user, password, client address) -> bool`` check, throttled (``TooManyAttempts``).

    The address is whatever identifies the client (an IP address); "" when it is unknown, so
    all such attempts share one key."""
    limit = throttle or LoginThrottle()

    def check(user: str, password: str, client: str = "") -> bool:
        limit.reserve(user, client)  # raises before any hashing when inside a wait
        stored = users.get(user)
        ok = verify_password(password, stored or _DUMMY) and stored is not None
        if ok:
            limit.succeeded(user, client)
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

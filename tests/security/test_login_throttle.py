"""Guessing passwords is slowed without locking out the real user, and a burst of attempts gets
no more guesses than one at a time (issue 11, case 2): the real check from many threads, then
real logins against the running app over loopback, from two client addresses."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import free_port

from assistant.config import Settings
from assistant.core import Assistant
from assistant.security.auth import (
    FREE_FAILURES,
    LoginThrottle,
    TooManyAttempts,
    checker,
    load_users,
    set_user,
)

PASSWORD = "correct horse battery"
ATTACKER, USER = "203.0.113.9", "198.51.100.20"  # client addresses for the check itself
Check = Callable[[str, str, str], bool]


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    auth = tmp_path_factory.mktemp("rla-users") / "users"
    set_user(auth, "alice", PASSWORD)  # the real hash: about 0.4 s a check
    set_user(auth, "bob", "another password")
    return load_users(auth)


def _burst(check: Check, n: int, user: str, password: str, client: str) -> Counter[str]:
    """``n`` attempts released at the same moment: how many were checked (right, wrong) and
    how many refused unchecked."""
    start = threading.Barrier(n)

    def attempt(_: int) -> str:
        start.wait()
        try:
            return "right" if check(user, password, client) else "wrong"
        except TooManyAttempts:
            return "refused"

    with ThreadPoolExecutor(n) as pool:
        return Counter(pool.map(attempt, range(n)))


def test_simultaneous_attempts_are_counted_before_any_password_is_checked(
    users: dict[str, str],
) -> None:
    check = checker(users, LoginThrottle(base_s=60))
    assert _burst(check, 12, "alice", "guess", ATTACKER) == {
        "wrong": FREE_FAILURES, "refused": 12 - FREE_FAILURES
    }
    fresh = checker(users, LoginThrottle(base_s=60))
    for _ in range(FREE_FAILURES - 1):  # one guess left before the waits begin
        assert not fresh("alice", "guess", ATTACKER)
    assert _burst(fresh, 10, "alice", "guess", ATTACKER) == {"wrong": 1, "refused": 9}
    # Even the right password gets no check now, from that address...
    with pytest.raises(TooManyAttempts):
        fresh("alice", PASSWORD, ATTACKER)
    # ...while the real user, from another, is not slowed at all, even in a burst.
    assert fresh("alice", PASSWORD, USER)
    assert _burst(fresh, 4, "alice", PASSWORD, USER) == {"right": 4}


class Clock:
    """The throttle's clock, moved by the test (no sleeps, no timing: the same on any load)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_waits_grow_and_end_and_an_attempt_inside_one_costs_no_hash(
    users: dict[str, str],
) -> None:
    clock = Clock()
    check = checker(users, LoginThrottle(base_s=0.4, max_s=1.6, clock=clock))
    for _ in range(FREE_FAILURES):
        assert not check("alice", "guess", ATTACKER)
    waits = []
    for _ in range(4):
        # Even the right password is refused inside a wait: it is never checked (a check
        # would have let alice in).
        with pytest.raises(TooManyAttempts) as refused:
            check("alice", PASSWORD, ATTACKER)
        waits.append(refused.value.wait_s)
        clock.now += refused.value.wait_s + 0.05
        assert not check("alice", "guess", ATTACKER)  # after the wait: checked again
    assert waits == pytest.approx([0.4, 0.8, 1.6, 1.6])
    assert "wait 2 s" in str(refused.value)
    clock.now += 1.65
    assert check("alice", PASSWORD, ATTACKER)  # never locked out: the password still works
    assert not check("alice", "guess", ATTACKER)  # and a success starts the count afresh
    assert not check("alice", "guess", ATTACKER)


def test_one_address_is_slowed_across_user_names_and_keys_are_forgotten(
    users: dict[str, str],
) -> None:
    clock = Clock()
    check = checker(users, LoginThrottle(free_per_address=8, base_s=60, forget_s=3600,
                                         clock=clock))
    for n in range(8):  # one password tried against many names
        assert not check(f"user{n}", "Summer2024!", ATTACKER)
    with pytest.raises(TooManyAttempts):
        check("bob", "another password", ATTACKER)
    assert check("bob", "another password", USER)
    clock.now += 3600  # an hour without attempts (FORGET_S): forgotten
    assert check("bob", "another password", ATTACKER)


def test_unknown_users_cost_the_same_and_are_throttled_the_same(users: dict[str, str]) -> None:
    check = checker(users, LoginThrottle(base_s=60))
    assert _burst(check, 8, "mallory", PASSWORD, ATTACKER) == {
        "wrong": FREE_FAILURES, "refused": 8 - FREE_FAILURES
    }


# -- real logins against the running app ------------------------------------------------------


@pytest.fixture
def guarded(tmp_path: Path, embedder: Any) -> Iterator[str]:
    """The app on loopback with RLA_AUTH (an empty store is enough to log in to)."""
    from ui.app import launch

    auth = tmp_path / "users"
    set_user(auth, "alice", PASSWORD)
    settings = replace(Settings.from_env({}), home=tmp_path / "home", auth_file=str(auth))
    app = launch(Assistant(settings, embedder=embedder), port=free_port(), block=False,
                 quiet=True)
    try:
        yield (app.local_url or "").rstrip("/")
    finally:
        app.close()


def _login(url: str, password: str, source: str = "127.0.0.1",
           headers: dict[str, str] | None = None) -> httpx.Response:
    """POST /login from the loopback address ``source`` (127.0.0.2 is another client)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, trust_env=False, timeout=60) as client:
        return client.post(url + "/login", data={"username": "alice", "password": password},
                           headers=headers)


def test_logins_over_http_are_throttled_per_client_address(guarded: str) -> None:
    with ThreadPoolExecutor(10) as pool:
        burst = list(pool.map(lambda _: _login(guarded, "guess"), range(10)))
    assert Counter(r.status_code for r in burst) == {400: FREE_FAILURES, 429: 10 - FREE_FAILURES}
    refused = next(r for r in burst if r.status_code == 429)
    assert "Too many wrong passwords" in refused.json()["detail"]

    # Wait as told, guess again: the waits double (1 s, 2 s, then 4 s).
    for expected_wait in (1, 2):
        retry = _login(guarded, "guess")
        while retry.status_code == 429:
            assert int(retry.headers["retry-after"]) <= expected_wait
            time.sleep(float(retry.headers["retry-after"]))
            retry = _login(guarded, "guess")
        assert retry.status_code == 400
    inside = _login(guarded, PASSWORD)
    assert inside.status_code == 429 and int(inside.headers["retry-after"]) in (3, 4)
    # A forged X-Forwarded-For does not make a new client (no proxy is trusted by default).
    forged = _login(guarded, PASSWORD, headers={"X-Forwarded-For": "192.0.2.77"})
    assert forged.status_code == 429

    # The real user, from another address, logs in at once and gets a working session.
    real = _login(guarded, PASSWORD, source="127.0.0.2")
    assert real.status_code == 200 and real.json() == {"success": True}
    # And after the wait the password works from the guessing address too: no lock-out.
    time.sleep(float(inside.headers["retry-after"]))
    assert _login(guarded, PASSWORD).status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_count(
    tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With RLA_TRUSTED_PROXIES naming the reverse proxy (here: loopback), the address it
    forwards is the client: the guesser is slowed, the real user behind the same proxy is not."""
    from ui.app import launch

    monkeypatch.setenv("RLA_TRUSTED_PROXIES", "127.0.0.1")
    auth = tmp_path / "users"
    set_user(auth, "alice", PASSWORD)
    settings = replace(Settings.from_env({}), home=tmp_path / "home", auth_file=str(auth))
    app = launch(Assistant(settings, embedder=embedder), port=free_port(), block=False,
                 quiet=True)
    url = (app.local_url or "").rstrip("/")
    guesser, user = {"X-Forwarded-For": "192.0.2.10"}, {"X-Forwarded-For": "192.0.2.20"}
    try:
        statuses = [_login(url, "guess", headers=guesser).status_code
                    for _ in range(FREE_FAILURES + 1)]
        assert statuses == [400] * FREE_FAILURES + [429]
        assert _login(url, PASSWORD, headers=guesser).status_code == 429
        assert _login(url, PASSWORD, headers=user).status_code == 200
    finally:
        app.close()

"""The autouse ``no_network`` fixture: anything but loopback fails, loopback still works."""

from __future__ import annotations

import socket
import threading

import pytest
from conftest import NetworkBlocked


def test_a_connection_beyond_loopback_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        with pytest.raises(NetworkBlocked, match=r"192\.0\.2\.1"):
            s.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlocked):
        s.connect_ex(("192.0.2.1", 443))
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)


def test_ipv6_beyond_loopback_is_blocked() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlocked):
        s.connect(("2001:db8::1", 80, 0, 0))  # documentation prefix


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        received: list[bytes] = []

        def serve() -> None:
            conn, _ = server.accept()
            with conn:
                received.append(conn.recv(16))

        thread = threading.Thread(target=serve)
        thread.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            client.sendall(b"hello")
        thread.join(timeout=5)
        assert received == [b"hello"]
        # "localhost" resolves to loopback and is allowed too
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            assert s.connect_ex(("localhost", port)) in (0, 111)

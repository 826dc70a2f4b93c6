"""The fault tests' TCP proxy (tests/faults_support/proxy.py): forwarding, cuts, black holes and
delays, against an echo server and against the real clients it stands in front of (psycopg,
redis-py)."""

from __future__ import annotations

import os
import socket
import threading
import time
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from django.db import connection

from tests.faults_support.proxy import TcpProxy


@pytest.fixture
def echo_server():
    """A TCP server on 127.0.0.1 that sends back whatever it receives; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                while data := conn.recv(4096):
                    conn.sendall(data)
            except OSError:
                pass

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.shutdown(socket.SHUT_RDWR)
    server.close()


@pytest.fixture
def proxy(echo_server):
    with TcpProxy("127.0.0.1", echo_server, name="echo") as proxy:
        yield proxy


def connect(proxy: TcpProxy, timeout: float = 2.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", proxy.port), timeout=timeout)


def round_trip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    return sock.recv(4096)


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def assert_reset(sock: socket.socket) -> None:
    """The connection is gone: a read gets nothing or a reset, never an answer."""
    with sock:
        try:
            sock.sendall(b"anyone?")
            assert sock.recv(4096) == b""
        except (ConnectionResetError, BrokenPipeError):
            pass


def assert_new_connections_reset(proxy: TcpProxy) -> None:
    """Accepted, then reset at once: the client's connect() or its first read fails."""
    try:
        sock = connect(proxy)
    except ConnectionResetError:
        return  # the reset came before connect() returned
    assert_reset(sock)


def test_it_forwards_both_ways(proxy):
    with connect(proxy) as sock:
        assert round_trip(sock, b"hello") == b"hello"
        assert round_trip(sock, b"again") == b"again"
    assert proxy.stats["forwarded"] == 1
    wait_until(lambda: proxy.open_connections == 0)  # the client hung up: so did the proxy


def test_it_resets_open_and_new_connections_when_cut_until_restored(proxy):
    open_before = connect(proxy)
    assert round_trip(open_before) == b"ping"

    proxy.cut()
    assert_reset(open_before)
    assert_new_connections_reset(proxy)
    assert proxy.stats["cut"] == 1 and proxy.stats["refused"] == 1

    proxy.restore()
    with connect(proxy) as sock:
        assert round_trip(sock) == b"ping"


def test_it_stalls_connections_in_a_black_hole_and_lets_them_go_on_after(proxy):
    stalled = connect(proxy, timeout=0.3)
    assert round_trip(stalled) == b"ping"

    proxy.cut(blackhole=True)
    stalled.sendall(b"lost?")
    with pytest.raises(TimeoutError):
        stalled.recv(4096)
    newcomer = connect(proxy, timeout=0.3)  # the handshake completes: then nothing
    newcomer.sendall(b"hello?")
    with pytest.raises(TimeoutError):
        newcomer.recv(4096)

    proxy.restore()
    stalled.settimeout(2)
    assert stalled.recv(4096) == b"lost?"  # held, not dropped
    assert round_trip(stalled) == b"ping"
    assert_reset(newcomer)  # never reached the server: its client connects again
    stalled.close()


def test_it_delays_each_direction(proxy):
    with connect(proxy) as sock:
        round_trip(sock)  # connected upstream
        proxy.delay(200)
        started = time.monotonic()
        assert round_trip(sock) == b"ping"
        assert time.monotonic() - started >= 0.4  # there and back
        proxy.restore()
        started = time.monotonic()
        round_trip(sock)
        assert time.monotonic() - started < 0.2


def test_it_resets_everything_and_stops_listening_when_closed(echo_server):
    proxy = TcpProxy("127.0.0.1", echo_server).start()
    sock = connect(proxy)
    proxy.close()
    assert_reset(sock)
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)


# --- in front of the real servers -------------------------------------------------------------


def test_it_cuts_and_restores_postgresql_for_psycopg(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL; CI runs it): the proxy stands in front of a real server")
    settings = connection.settings_dict
    with TcpProxy(settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432, name="postgresql") as proxy:
        params = {
            "host": "127.0.0.1", "port": proxy.port, "user": settings["USER"], "dbname": settings["NAME"],
            "password": settings["PASSWORD"] or None, "connect_timeout": 2, "autocommit": True,
        }  # fmt: skip
        with psycopg.connect(**params) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            proxy.cut()
            with pytest.raises(psycopg.OperationalError):
                conn.execute("SELECT 1")
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(**params)
        proxy.restore()
        with psycopg.connect(**params) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_it_cuts_and_restores_redis_for_redis_py():
    url = os.environ.get("REDIS_URL_FOR_TESTS")
    if not url:
        pytest.skip("set REDIS_URL_FOR_TESTS (a Redis database the tests may use) to run this against Redis")
    target = urlsplit(url)
    with TcpProxy(target.hostname, target.port or 6379, name="redis") as proxy:
        client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=2)
        assert client.ping()
        proxy.cut()
        with pytest.raises(redis.ConnectionError):
            client.ping()
        proxy.restore()
        assert client.ping()  # redis-py reconnects
        client.close()

"""A TCP proxy that a test can cut, slow down and restore: put between a process and its
PostgreSQL or Redis, it plays the server (or the network to it) failing.

    proxy = TcpProxy("127.0.0.1", 5432).start()  # clients connect to 127.0.0.1:proxy.port
    proxy.cut()                 # the server is down: every connection is reset, new ones too
    proxy.cut(blackhole=True)   # the network drops everything: connections hang, nothing answers
    proxy.delay(50)             # every block of bytes arrives 50 ms late, both ways
    proxy.restore()             # all of the above undone
    proxy.close()

A plain `cut()` is what a client meets when the server's process is gone or a firewall rejects
it: connections open at the time are reset (RST), and a new one is accepted and reset at once,
so connecting or the first command fails fast (redis-py: ConnectionError; psycopg:
OperationalError "server closed the connection unexpectedly"). `blackhole=True` is a partition:
bytes on open connections wait (and flow again after `restore()`, as TCP would retransmit
them); new connections are accepted and then get nothing, until `restore()` resets them. Only
clients with their own timeouts get out of a black hole.

Threads: one accepts; each connection has two that pump bytes, one per direction.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Self

OPEN, RESET, BLACKHOLE = "open", "reset", "blackhole"
BLOCK = 65536


def reset(sock: socket.socket) -> None:
    """Close with an RST (not a FIN): the peer's next read or write fails with a reset. A
    thread blocked reading `sock` wakes up first (SHUT_RD; a bare close would not wake it)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    sock.close()


def finish(sock: socket.socket) -> None:
    """Close with a FIN, as the other side of the connection did."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@dataclass(eq=False)
class _Link:
    """One client connection and its connection to the target."""

    client: socket.socket
    upstream: socket.socket
    closed: bool = False
    threads: list[threading.Thread] = field(default_factory=list)


class TcpProxy:
    """Forwards 127.0.0.1:`port` (chosen when constructed) to `target_host`:`target_port`."""

    def __init__(self, target_host: str, target_port: int, *, name: str = "proxy", host: str = "127.0.0.1") -> None:
        self.name = name
        self.target = (target_host, int(target_port))
        self._listener = socket.create_server((host, 0), backlog=128)
        self.host, self.port = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._mode = OPEN
        self._delay_s = 0.0
        self._flowing = threading.Event()  # cleared while black-holed: the pumps wait
        self._flowing.set()
        self._links: set[_Link] = set()
        self._held: set[socket.socket] = set()  # accepted while black-holed, never connected on
        self._accepting: threading.Thread | None = None
        self._closed = False
        # accepted, forwarded, refused (reset when accepted), held (black hole), cut (open ones reset)
        self.stats: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"<TcpProxy {self.name} :{self.port} -> {self.target[0]}:{self.target[1]} {self.mode}>"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._links)

    # --- what a test does -------------------------------------------------------------------

    def start(self) -> Self:
        self._accepting = threading.Thread(target=self._accept_loop, name=f"{self.name}-accept", daemon=True)
        self._accepting.start()
        return self

    def cut(self, *, blackhole: bool = False) -> None:
        """The target goes away: reset every connection (new ones too), or black-hole them."""
        with self._lock:
            self._mode = BLACKHOLE if blackhole else RESET
            if blackhole:
                self._flowing.clear()
                return
            links, self._links = self._links, set()
            held, self._held = self._held, set()
            self._flowing.set()  # nothing flows anyway: wake pumps so that they see their link gone
        self.stats["cut"] += len(links)
        for link in links:
            self._drop(link)
        for sock in held:
            reset(sock)

    def delay(self, ms: float) -> None:
        """Hold every block of bytes `ms` milliseconds before passing it on (each direction)."""
        self._delay_s = ms / 1000

    def restore(self) -> None:
        """Forward again without delay. Connections held in a black hole are reset (their
        clients reconnect); open ones that were stalled go on where they stopped."""
        with self._lock:
            self._mode = OPEN
            self._delay_s = 0.0
            held, self._held = self._held, set()
            self._flowing.set()
        for sock in held:
            reset(sock)

    def close(self) -> None:
        """Stop listening and reset every connection."""
        if self._closed:
            return
        self._closed = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below (Linux)
        except OSError:
            pass
        self._listener.close()
        self.cut()
        if self._accepting is not None:
            self._accepting.join(timeout=5)

    # --- the threads ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.stats["accepted"] += 1
            with self._lock:
                mode = self._mode
                if mode == BLACKHOLE:
                    self._held.add(client)
            if mode == BLACKHOLE:
                self.stats["held"] += 1
                continue
            if mode == RESET or self._closed:
                self.stats["refused"] += 1
                reset(client)
                continue
            self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self.stats["upstream_failed"] += 1
            reset(client)
            return
        upstream.settimeout(None)
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(client, upstream)
        with self._lock:
            if self._mode != OPEN:  # cut while connecting
                admitted = False
            else:
                admitted = True
                self._links.add(link)
        if not admitted:
            self.stats["refused"] += 1
            self._drop(link)
            return
        self.stats["forwarded"] += 1
        for src, dst, direction in ((client, upstream, "up"), (upstream, client, "down")):
            thread = threading.Thread(
                target=self._pump, args=(link, src, dst), name=f"{self.name}-{direction}", daemon=True
            )
            link.threads.append(thread)
            thread.start()

    def _pump(self, link: _Link, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(BLOCK)
                if not data:
                    break
                if self._delay_s:
                    time.sleep(self._delay_s)
                self._flowing.wait()
                if link.closed:
                    break
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._links.discard(link)
        self._drop(link, close=finish)  # one side hung up (or was reset): so does the other

    def _drop(self, link: _Link, *, close=reset) -> None:
        with self._lock:
            if link.closed:
                return
            link.closed = True
        close(link.client)
        close(link.upstream)

"""The emulator as a server on a free loopback port, for tests that talk to it over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

import emulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def emulator_server() -> Iterator[str]:
    """A ThreadedMotoServer with the emulator installed; yields its endpoint URL."""
    emulator.install()  # before the server builds (and caches) its Flask apps
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()

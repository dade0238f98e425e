"""Standalone emulator server: ``python -m emulator.server --port 5000`` (moto's server options)."""

from __future__ import annotations

import sys

from moto.server import main as moto_main

from emulator.routing import install


def main(argv: list[str] | None = None) -> None:
    # Before moto builds its Flask apps, which it does once per service and caches.
    install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()

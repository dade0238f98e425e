"""Modules of the development environment that some copyctl commands load only when they run.

The emulator and the demo are not part of an operator's install; a command that needs them says
so in one line instead of failing at import.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from core.kernel.errors import OrchestratorError


def import_dev_module(name: str, needed_by: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise OrchestratorError(
            "no-emulator", f"{needed_by} needs the development environment: {error}"
        ) from error

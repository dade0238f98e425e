"""Route moto's AWS Backup URLs to the emulator (moto has no plugin API, its URL table is enough).

Every existing route must point at the subclass: moto takes the first route that matches, and its
broad ``/backup/plans/.+`` route would otherwise swallow the selection calls. ARNs in paths use
``.+`` (server mode decodes ``%2F``), list routes end in an explicit slash. In server mode install
before the first request: the Flask app of a service is built once and cached.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.backup import urls as backup_urls
from moto.events.utils import EventTemplateParser
from moto.moto_api._internal import urls as moto_api_urls

from emulator import control_api, moto_patches
from emulator.responses import EmulatorBackupResponse

NEW_BACKUP_PATHS = (
    "{0}/backup-jobs/?$",
    "{0}/backup-jobs/(?P<backupJobId>.+)$",
    "{0}/copy-jobs/?$",
    "{0}/copy-jobs/(?P<copyJobId>.+)$",
    "{0}/backup-vaults/(?P<vaultName>[^/]+)/recovery-points/$",
    "{0}/backup-vaults/(?P<vaultName>[^/]+)/recovery-points/(?P<recoveryPointArn>.+)$",
    "{0}/backup-vaults/(?P<vaultName>[^/]+)/access-policy$",
    "{0}/logically-air-gapped-backup-vaults/(?P<vaultName>[^/]+)$",
    "{0}/resources/(?P<resourceArn>.+)/recovery-points/$",
    "{0}/backup/plans/(?P<planId>[^/]+)/selections/$",
    "{0}/backup/plans/(?P<planId>[^/]+)/selections/(?P<selectionId>.+)$",
    "{0}/supported-resource-types$",
)
CONTROL_PATH = "{0}/moto-api/emulator/(?P<action>.+)$"

_installed = False


def install() -> None:
    """Route AWS Backup to the emulator, speed up moto's DynamoDB and SQS; idempotent."""
    global _installed  # noqa: PLW0603 - one process-wide switch, by design
    if _installed:
        return
    for path in list(backup_urls.url_paths):
        backup_urls.url_paths[path] = EmulatorBackupResponse.dispatch
    for path in NEW_BACKUP_PATHS:
        backup_urls.url_paths[path] = EmulatorBackupResponse.dispatch
    moto_api_urls.url_paths[CONTROL_PATH] = control_api.handle
    _deliver_account_field()
    moto_patches.install()
    _installed = True


_EVENT_FIELDS = (
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
)


def _deliver_account_field() -> None:
    """Targets without an input transformer get the event as EventBridge sends it.

    moto 5.2.5 rebuilds such events from a JSONPath template (slow: a parser per field per delivery)
    that drops ``account``, which EventBridge always sends.
    """
    original = EventTemplateParser.parse
    if getattr(original, "emulator_patched", False):
        return

    def parse(input_template: Any, input_paths_map: Any, event: dict[str, Any]) -> dict[str, Any]:
        if input_template is None and not input_paths_map:
            return {key: copy.deepcopy(event[key]) for key in _EVENT_FIELDS if key in event}
        return dict(original(input_template, input_paths_map, event))  # type: ignore[arg-type]

    parse.emulator_patched = True  # type: ignore[attr-defined]
    EventTemplateParser.parse = staticmethod(parse)  # type: ignore[method-assign,assignment]

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
from moto.events.models import Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.moto_api._internal import urls as moto_api_urls
from moto.utilities.arns import parse_arn

from emulator import control_api, kms, moto_patches
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
    _forward_whole_events()
    kms.install()
    moto_patches.install()
    from emulator.cloudformation import stacksets  # noqa: PLC0415 - it provisions: after routing

    stacksets.install()
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


def _forward_whole_events() -> None:
    """A rule whose target is an event bus (another Region's, say) hands that bus the event.

    moto 5.2.5 re-puts only its source, detail-type and detail there, so the receiving bus stamps
    its own Region, account, id and time and drops ``resources``. EventBridge documents an
    event's ``region`` as the Region where it originated (eb-events-structure.html) and does not
    say that forwarding rewrites it: the emulator keeps the whole event, the harder case for a
    receiver that must not mistake a forwarded event for one of another Region.
    """
    original = Rule.send_to_targets
    if getattr(original, "emulator_patched", False):
        return

    def send_to_targets(self: Rule, original_event: Any, transform_input: bool = True) -> None:
        buses = [target for target in self.targets if _is_event_bus(target["Arn"])]
        if not buses:
            original(self, original_event, transform_input)
            return
        if not self.event_pattern.matches_event(original_event):
            return
        others = copy.copy(self)
        others.targets = [target for target in self.targets if target not in buses]
        original(others, original_event, transform_input)
        for target in buses:
            arn = parse_arn(target["Arn"])
            receiver = events_backends[arn.account][arn.region]
            bus = receiver.describe_event_bus(arn.resource_id)
            for rule in list(bus.rules.values()):
                rule.send_to_targets(copy.deepcopy(original_event))

    send_to_targets.emulator_patched = True  # type: ignore[attr-defined]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _is_event_bus(target_arn: str) -> bool:
    arn = parse_arn(target_arn)
    return bool(arn.service == "events" and arn.resource_type == "event-bus")

"""A small JSON-schema-like checker for the AWS event shapes the orchestrator receives.

Written from AWS's documented samples, not from our parser, so that the two can disagree:
- EventBridge events from AWS Backup
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html): top-level
  ``version id detail-type source account time region resources detail``;
  "Backup Job State Change": ``backupSizeInBytes`` is a *string*, ``resources[0]`` is the recovery
  point once COMPLETED, ``createdBy`` absent for on-demand jobs; the CREATED sample carries only
  ``backupJobId``, ``state`` and ``creationDate``.
  "Copy Job State Change": ``backupSizeInBytes`` is a *number*, ``resources[0]`` is the source
  recovery point, ``destinationRecoveryPointArn`` is ``{}`` until COMPLETED; the CREATED sample
  carries only ``creationDate``, ``state`` and the two vault ARNs.
- The SQS -> Lambda event (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).
- "AWS API Call via CloudTrail" events from ``aws.kms``
  (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html): the
  CloudTrail record is ``detail``, as the KMS pages show it (ct-schedule-key-deletion.html,
  ct-disablekey.html, ct-put-key-policy.html, ct-deleteimportedkeymaterial.html,
  ct-revoke-grant.html, ct-retire-grant.html): ``eventSource`` kms.amazonaws.com,
  ``requestParameters.keyId``, ``resources[].ARN``; a failed call carries ``errorCode`` and
  ``errorMessage``, and ``responseElements`` null. RevokeGrant and RetireGrant answer nothing
  (``responseElements`` null even on success); the documented RetireGrant record has
  ``requestParameters`` null and its grant in ``additionalEventData.grantId``.
- The "Scheduled Event" of an EventBridge schedule
  (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html): source
  ``aws.events``, the rule's ARN in ``resources``, ``detail`` an empty object.
- CloudFormation's custom resource requests
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html):
  ``RequestType`` Create, Update or Delete; ``ResponseURL`` (a presigned S3 URL), ``StackId`` (the
  stack's ARN), ``RequestId``, ``ResourceType`` (the template's type: "up to 60 characters long
  and can include alphanumeric and the following characters: _@-"), ``LogicalResourceId`` and
  ``ResourceProperties`` (with the required ``ServiceToken``), all required;
  ``PhysicalResourceId`` on Update and Delete, ``OldResourceProperties`` on Update.

Each function returns the list of problems; an empty list means the shape is right.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

TOP_LEVEL = ("version", "id", "detail-type", "source", "account", "time", "region")
BACKUP_JOB = "Backup Job State Change"
COPY_JOB = "Copy Job State Change"
BACKUP_JOB_STATES = {
    "CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED",
    "PARTIAL",
}  # fmt: skip
COPY_JOB_STATES = {"CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"}
CREATED_BY_FIELDS = ("backupPlanId", "backupPlanArn", "backupPlanVersion", "backupPlanRuleId")
SQS_RECORD_FIELDS = (
    "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
    "eventSource", "eventSourceARN", "awsRegion",
)  # fmt: skip
SQS_ATTRIBUTES = (
    "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
)  # fmt: skip

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:.+$")
_VAULT_ARN = re.compile(r"^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:(.+)$")
_DIGITS = re.compile(r"^[0-9]+$")

Check = Callable[[object], bool]


def is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def is_timestamp(value: object) -> bool:
    return isinstance(value, str) and bool(_TIMESTAMP.match(value))


def is_arn(value: object) -> bool:
    return isinstance(value, str) and bool(_ARN.match(value))


def is_vault_arn(value: object) -> bool:
    return isinstance(value, str) and bool(_VAULT_ARN.match(value))


def is_digit_string(value: object) -> bool:
    return isinstance(value, str) and bool(_DIGITS.match(value))


def is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_empty_object(value: object) -> bool:
    return value == {} and isinstance(value, dict)


def is_arn_or_empty_object(value: object) -> bool:
    return is_arn(value) or is_empty_object(value)


def is_account(value: object) -> bool:
    return isinstance(value, str) and bool(_ACCOUNT.match(value))


def is_region(value: object) -> bool:
    return isinstance(value, str) and bool(_REGION.match(value))


def is_backup_job_state(value: object) -> bool:
    return value in BACKUP_JOB_STATES


def is_copy_job_state(value: object) -> bool:
    return value in COPY_JOB_STATES


def is_object(value: object) -> bool:
    return isinstance(value, Mapping)


def is_string(value: object) -> bool:
    return isinstance(value, str)


class _Report:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def require(self, container: Mapping[str, Any], where: str, key: str, check: Check) -> None:
        if key not in container:
            self.problems.append(f"{where}.{key} is required")
        else:
            self.optional(container, where, key, check)

    def optional(self, container: Mapping[str, Any], where: str, key: str, check: Check) -> None:
        if key in container and not check(container[key]):
            found = f"{container[key]!r:.80}"
            self.problems.append(f"{where}.{key} fails {check.__name__}: {found}")


def eventbridge_problems(event: object) -> list[str]:
    """What keeps ``event`` from being an AWS Backup job state change event as documented."""
    report = _Report()
    if not isinstance(event, Mapping):
        return ["the event is not a JSON object"]
    for key in TOP_LEVEL:
        report.require(event, "event", key, is_text)
    report.optional(event, "event", "account", is_account)
    report.optional(event, "event", "region", is_region)
    report.optional(event, "event", "time", is_timestamp)
    if event.get("source") not in (None, "aws.backup"):
        report.problems.append(f"event.source is {event.get('source')!r}, not 'aws.backup'")
    resources = event.get("resources")
    if not isinstance(resources, list) or not all(is_arn(item) for item in resources):
        report.problems.append("event.resources is required: a list of ARNs")
        resources = []
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return [*report.problems, "event.detail is required: a JSON object"]
    detail_type = event.get("detail-type")
    if detail_type == BACKUP_JOB:
        _backup_job(report, detail, resources)
    elif detail_type == COPY_JOB:
        _copy_job(report, detail, resources)
    else:
        report.problems.append(f"event.detail-type {detail_type!r} is not a job state change")
    return report.problems


def _backup_job(report: _Report, detail: Mapping[str, Any], resources: list[Any]) -> None:
    state = detail.get("state")
    report.require(detail, "detail", "backupJobId", is_text)
    report.require(detail, "detail", "state", is_backup_job_state)
    report.require(detail, "detail", "creationDate", is_timestamp)
    if state != "CREATED":
        report.require(detail, "detail", "backupVaultArn", is_vault_arn)
        report.require(detail, "detail", "backupVaultName", is_text)
        report.require(detail, "detail", "resourceArn", is_arn)
        report.require(detail, "detail", "resourceType", is_text)
        report.require(detail, "detail", "iamRoleArn", is_arn)
    if state == "COMPLETED":
        report.require(detail, "detail", "completionDate", is_timestamp)
        report.require(detail, "detail", "backupSizeInBytes", is_digit_string)
        if len(resources) != 1:
            report.problems.append("a COMPLETED backup job names its recovery point in resources")
    report.optional(detail, "detail", "backupSizeInBytes", is_digit_string)
    report.optional(detail, "detail", "bytesTransferred", is_digit_string)
    report.optional(detail, "detail", "completionDate", is_timestamp)
    report.optional(detail, "detail", "startBy", is_timestamp)
    report.optional(detail, "detail", "percentDone", is_number)
    report.optional(detail, "detail", "statusMessage", is_string)
    vault = _VAULT_ARN.match(str(detail.get("backupVaultArn", "")))
    if vault and detail.get("backupVaultName") != vault.group(1):
        report.problems.append("detail.backupVaultName is not the name in detail.backupVaultArn")
    _created_by(report, detail)


def _copy_job(report: _Report, detail: Mapping[str, Any], resources: list[Any]) -> None:
    state = detail.get("state")
    report.require(detail, "detail", "state", is_copy_job_state)
    report.require(detail, "detail", "creationDate", is_timestamp)
    report.require(detail, "detail", "sourceBackupVaultArn", is_vault_arn)
    report.require(detail, "detail", "destinationBackupVaultArn", is_vault_arn)
    if len(resources) != 1:
        report.problems.append("a copy job names its source recovery point in resources")
    if state != "CREATED":
        report.require(detail, "detail", "copyJobId", is_text)
        report.require(detail, "detail", "resourceArn", is_arn)
        report.require(detail, "detail", "resourceType", is_text)
        report.require(detail, "detail", "iamRoleArn", is_arn)
        report.require(detail, "detail", "backupSizeInBytes", is_whole_number)
        report.require(detail, "detail", "destinationRecoveryPointArn", is_arn_or_empty_object)
    if state == "COMPLETED":
        report.require(detail, "detail", "completionDate", is_timestamp)
        if not is_arn(detail.get("destinationRecoveryPointArn")):
            report.problems.append(
                "a COMPLETED copy job names its destinationRecoveryPointArn ({} only before)"
            )
    report.optional(detail, "detail", "statusMessage", is_string)
    _created_by(report, detail)


def _created_by(report: _Report, detail: Mapping[str, Any]) -> None:
    created_by = detail.get("createdBy")
    if created_by is None:
        if "createdBy" in detail:
            report.problems.append("detail.createdBy is null: leave it out for on-demand jobs")
        return
    if not isinstance(created_by, Mapping):
        report.problems.append("detail.createdBy is not a JSON object")
        return
    for key in CREATED_BY_FIELDS:
        report.require(created_by, "detail.createdBy", key, is_text)


_SQS_FIELD_CHECKS: dict[str, Check] = {
    "attributes": is_object,
    "messageAttributes": is_object,
    "body": is_string,  # any string: a bad body is the handler's problem, not SQS's
}


def sqs_problems(event: object) -> list[str]:
    """What keeps ``event`` from being the event SQS hands a Lambda function."""
    if not isinstance(event, Mapping) or not isinstance(event.get("Records"), list):
        return ["an SQS event is an object with a Records list"]
    report = _Report()
    if not event["Records"]:
        report.problems.append("Records is empty")
    for index, record in enumerate(event["Records"]):
        where = f"Records[{index}]"
        if not isinstance(record, Mapping):
            report.problems.append(f"{where} is not a JSON object")
            continue
        for key in SQS_RECORD_FIELDS:
            report.require(record, where, key, _SQS_FIELD_CHECKS.get(key, is_text))
        if record.get("eventSource") != "aws:sqs":
            report.problems.append(f"{where}.eventSource is not 'aws:sqs'")
        report.optional(record, where, "eventSourceARN", is_arn)
        attributes = record.get("attributes")
        if isinstance(attributes, Mapping):
            for key in SQS_ATTRIBUTES:
                report.require(attributes, f"{where}.attributes", key, is_text)
        body = record.get("body")
        if (
            isinstance(body, str)
            and record.get("md5OfBody") != hashlib.md5(body.encode("utf-8")).hexdigest()
        ):
            report.problems.append(f"{where}.md5OfBody is not the MD5 of its body")
    ids = [r.get("messageId") for r in event["Records"] if isinstance(r, Mapping)]
    if len(ids) != len(set(ids)):
        report.problems.append("messageIds repeat within the batch")
    return report.problems


CLOUDTRAIL_API_CALL = "AWS API Call via CloudTrail"
CLOUDTRAIL_RECORD_FIELDS = (
    "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
    "userAgent", "requestID", "eventID", "eventType", "recipientAccountId",
)  # fmt: skip
_KEY_ID = re.compile(r"^(mrk-)?[0-9a-f-]{32,36}$")
_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/(mrk-)?[0-9a-f-]{32,36}$")


def is_key_id_or_arn(value: object) -> bool:
    return isinstance(value, str) and bool(_KEY_ID.match(value) or _KEY_ARN.match(value))


def is_key_arn(value: object) -> bool:
    return isinstance(value, str) and bool(_KEY_ARN.match(value))


def is_boolean(value: object) -> bool:
    return isinstance(value, bool)


def cloudtrail_kms_problems(event: object) -> list[str]:
    """What keeps ``event`` from being a KMS API call delivered by CloudTrail as documented."""
    if not isinstance(event, Mapping):
        return ["the event is not a JSON object"]
    report = _Report()
    _envelope(report, event, "aws.kms", CLOUDTRAIL_API_CALL)
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return [*report.problems, "event.detail is required: a JSON object"]
    for key in CLOUDTRAIL_RECORD_FIELDS:
        report.require(detail, "detail", key, is_text)
    report.require(detail, "detail", "userIdentity", is_object)
    report.require(detail, "detail", "readOnly", is_boolean)
    report.optional(detail, "detail", "eventTime", is_timestamp)
    report.optional(detail, "detail", "recipientAccountId", is_account)
    if detail.get("eventSource") != "kms.amazonaws.com":
        report.problems.append("detail.eventSource is not 'kms.amazonaws.com'")
    if detail.get("eventType") != "AwsApiCall":
        report.problems.append("detail.eventType is not 'AwsApiCall'")
    if detail.get("awsRegion") != event.get("region"):
        report.problems.append("detail.awsRegion is not the event's region")
    _kms_request(report, detail)
    return report.problems


_ANSWERS_NOTHING = {"RevokeGrant", "RetireGrant"}  # responseElements null even on success


def _kms_request(report: _Report, detail: Mapping[str, Any]) -> None:
    name = detail.get("eventName")
    parameters = detail.get("requestParameters")
    if name == "RetireGrant" and parameters is None:
        additional = detail.get("additionalEventData")
        if not isinstance(additional, Mapping) or not is_text(additional.get("grantId")):
            report.problems.append("detail.additionalEventData.grantId is required (RetireGrant)")
    elif not isinstance(parameters, Mapping):
        report.problems.append("detail.requestParameters is required: a JSON object")
    else:
        report.require(parameters, "detail.requestParameters", "keyId", is_key_id_or_arn)
        if name == "RevokeGrant":
            report.require(parameters, "detail.requestParameters", "grantId", is_text)
    failed = "errorCode" in detail
    report.optional(detail, "detail", "errorCode", is_text)
    report.optional(detail, "detail", "errorMessage", is_string)
    response = detail.get("responseElements")
    if (failed or name in _ANSWERS_NOTHING) and response is not None:
        report.problems.append(
            "detail.responseElements is null (a failed call, or a grant removal)"
        )
    if not failed and name not in _ANSWERS_NOTHING and not isinstance(response, Mapping):
        report.problems.append("detail.responseElements is required: a JSON object")
    resources = detail.get("resources")
    if not isinstance(resources, list) or not resources:
        report.problems.append("detail.resources is required: the key")
        return
    for index, resource in enumerate(resources):
        if not isinstance(resource, Mapping):
            report.problems.append(f"detail.resources[{index}] is not a JSON object")
            continue
        report.require(resource, f"detail.resources[{index}]", "ARN", is_key_arn)
        report.require(resource, f"detail.resources[{index}]", "accountId", is_account)


def scheduled_event_problems(event: object) -> list[str]:
    """What keeps ``event`` from being the "Scheduled Event" of an EventBridge schedule."""
    if not isinstance(event, Mapping):
        return ["the event is not a JSON object"]
    report = _Report()
    _envelope(report, event, "aws.events", "Scheduled Event")
    resources = event.get("resources")
    if not isinstance(resources, list) or len(resources) != 1 or not is_arn(resources[0]):
        report.problems.append("event.resources is required: the rule's ARN")
    if event.get("detail") != {}:
        report.problems.append("event.detail is an empty object")
    return report.problems


def _envelope(report: _Report, event: Mapping[str, Any], source: str, detail_type: str) -> None:
    for key in TOP_LEVEL:
        report.require(event, "event", key, is_text)
    report.optional(event, "event", "account", is_account)
    report.optional(event, "event", "region", is_region)
    report.optional(event, "event", "time", is_timestamp)
    if event.get("source") != source:
        report.problems.append(f"event.source is {event.get('source')!r}, not {source!r}")
    if event.get("detail-type") != detail_type:
        report.problems.append(f"event.detail-type is not {detail_type!r}")
    if not isinstance(event.get("resources"), list):
        report.problems.append("event.resources is required: a list")


CUSTOM_RESOURCE_REQUEST_TYPES = frozenset({"Create", "Update", "Delete"})
_CUSTOM_RESOURCE_TYPE = re.compile(
    r"^(Custom::[A-Za-z0-9_@.-]{1,60}|AWS::CloudFormation::CustomResource)$"
)
_STACK_ARN = re.compile(r"^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:[0-9]{12}:stack/[^/]+/.+$")


def is_request_type(value: object) -> bool:
    return value in CUSTOM_RESOURCE_REQUEST_TYPES


def is_https_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith("https://") and len(value) > len("https://")


def is_stack_arn(value: object) -> bool:
    return isinstance(value, str) and _STACK_ARN.fullmatch(value) is not None


def is_custom_resource_type(value: object) -> bool:
    return isinstance(value, str) and _CUSTOM_RESOURCE_TYPE.fullmatch(value) is not None


def custom_resource_request_problems(event: object) -> list[str]:
    """What keeps ``event`` from being a CloudFormation custom resource request."""
    if not isinstance(event, Mapping):
        return ["the request is not a JSON object"]
    report = _Report()
    report.require(event, "request", "RequestType", is_request_type)
    report.require(event, "request", "ResponseURL", is_https_url)
    report.require(event, "request", "StackId", is_stack_arn)
    report.require(event, "request", "RequestId", is_text)
    report.require(event, "request", "ResourceType", is_custom_resource_type)
    report.require(event, "request", "LogicalResourceId", is_text)
    report.require(event, "request", "ResourceProperties", is_object)
    properties = event.get("ResourceProperties")
    if isinstance(properties, Mapping):
        report.require(properties, "request.ResourceProperties", "ServiceToken", is_arn)
    if event.get("RequestType") in {"Update", "Delete"}:
        report.require(event, "request", "PhysicalResourceId", is_text)
    if event.get("RequestType") == "Update":
        report.require(event, "request", "OldResourceProperties", is_object)
    return report.problems

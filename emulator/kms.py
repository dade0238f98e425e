"""KMS keys as AWS Backup sees them, on top of moto's KMS backend.

moto creates every key with KeyManager CUSTOMER and knows no ``alias/aws/backup``; AWS-managed keys
are made here and flipped to KeyManager AWS, so KMS DescribeKey answers as it does in AWS.
KMS DescribeKey on a predefined ``alias/aws/<service>`` that no key carries yet creates that AWS
managed key (``install``): API_DescribeKey.html, KeyId: "If you specify a predefined AWS alias (an
AWS alias with no key ID), KMS associates the alias with an AWS managed key and returns its KeyId
and Arn in the response." (https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html)
AWS-owned keys live in a service account (logicallyairgappedvault.html); the emulator names one per
Region and, only if configured, lets the caller's KMS describe it.
"""

from __future__ import annotations

import uuid

from moto.kms.models import Key, KmsBackend, kms_backends

from emulator import arns

AWS_OWNED_KEY_ACCOUNT = "999988887777"
_DESCRIPTIONS = {
    "alias/aws/backup": "Default key that protects my Backup data when no other key is defined",
    "alias/aws/ebs": "Default key that protects my EBS volumes when no other key is defined",
    "alias/aws/rds": (
        "Default key that protects my RDS database volumes when no other key is defined"
    ),
    "alias/aws/fsx": "Default key that protects my FSx file systems when no other key is defined",
}
AWS_ALIAS_PREFIX = "alias/aws/"


def _backend(account: str, region: str) -> KmsBackend:
    return kms_backends[account][region]


def aws_managed_key_arn(account: str, region: str, alias: str) -> str:
    """The ARN of the account's AWS-managed key for this alias, created on first use."""
    backend = _backend(account, region)
    for key in backend.keys.values():
        if alias in key.aliases:
            key.key_manager = "AWS"  # made by moto's own reserved-alias path before install()
            return key.arn
    key = backend.create_key(
        None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", _DESCRIPTIONS.get(alias, "Default key"), None
    )
    key.key_manager = "AWS"
    backend.create_alias(key.id, alias)
    return key.arn


def aws_owned_key_arn(region: str) -> str:
    key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"aws-backup-lag-owned-key/{region}"))
    return arns.kms_key_arn(region, AWS_OWNED_KEY_ACCOUNT, key_id)


def expose_aws_owned_key(account: str, region: str) -> None:
    """Let KMS DescribeKey in `account` answer the AWS-owned key (KeyManager AWS)."""
    backend = _backend(account, region)
    arn = aws_owned_key_arn(region)
    key_id = arn.rsplit("/", 1)[1]
    if key_id in backend.keys:
        return
    key = Key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "AWS owned key", account, region)  # type: ignore[abstract]
    key.id, key.arn, key.key_manager = key_id, arn, "AWS"
    backend.keys[key_id] = key


def _find(arn: str) -> Key | None:
    try:
        parsed = arns.parse(arn)
    except ValueError:
        return None
    if parsed.service != "kms":
        return None
    backend = _backend(parsed.account, parsed.region)
    if parsed.resource.startswith("alias/"):
        for key in backend.keys.values():
            if parsed.resource in key.aliases:
                return key
        return None
    return backend.keys.get(parsed.resource.split("/", 1)[-1])


def key_manager(arn: str | None) -> str | None:
    """KMS's KeyManager for a key ARN: "AWS", "CUSTOMER", or None when KMS does not know it."""
    if arn is None:
        return None
    if arn == aws_owned_key_arn(arns.parse(arn).region):
        return "AWS"
    key = _find(arn)
    return key.key_manager if key else None


def key_alias(arn: str | None) -> str | None:
    key = _find(arn) if arn else None
    if key is None or not key.aliases:
        return None
    return sorted(key.aliases)[0]


def install() -> None:
    """KMS answers a predefined ``alias/aws/<service>`` with an AWS managed key; idempotent.

    moto 5.2.5 makes such keys only for its own list of reserved aliases (no ``aws/backup``,
    ``aws/fsx``), and with KeyManager CUSTOMER.
    """
    original = KmsBackend.get_key_id_from_alias
    if getattr(original, "emulator_patched", False):
        return

    def get_key_id_from_alias(self: KmsBackend, alias_name: str) -> str | None:
        if alias_name.startswith(AWS_ALIAS_PREFIX) and not any(
            alias_name in key.aliases for key in self.keys.values()
        ):
            arn = aws_managed_key_arn(self.account_id, self.region_name, alias_name)
            return arn.rsplit("/", 1)[1]
        return original(self, alias_name)

    get_key_id_from_alias.emulator_patched = True  # type: ignore[attr-defined]
    KmsBackend.get_key_id_from_alias = get_key_id_from_alias  # type: ignore[method-assign]

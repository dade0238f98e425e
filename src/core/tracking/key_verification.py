"""Is a finished copy really independent of the customer-managed key it was meant to escape?

AWS leaves open which key a copy of a not fully managed type ends under (section 2 of
aws-backup-facts.md), so the key of every finished copy is *observed*, never assumed.

The rule (``judge_key``), first match wins:
1. KMS ``DescribeKey`` says ``KeyManager`` = ``AWS`` → independent: AWS managed keys cannot be
   scheduled for deletion (kms/latest/developerguide/deleting-keys-scheduling-key-deletion.html).
2. ``KeyManager`` = ``CUSTOMER`` → dependent: someone in the account can delete it.
3. DescribeRecoveryPoint of the copy says ``EncryptionKeyType`` = ``AWS_OWNED_KMS_KEY`` →
   independent: AWS owned keys cannot be scheduled for deletion either (same page); it is what
   a logically air-gapped vault uses by default (aws-backup/latest/devguide/
   logicallyairgappedvault.html; API_DescribeRecoveryPoint.html, ``EncryptionKeyType``).
4. DescribeRecoveryPoint says ``IsEncrypted`` = false → independent: no key to lose.
5. Anything else → *unverified*, reported like a dependent copy. In particular a key that
   DescribeKey cannot see (AccessDenied / NotFound) is never taken as AWS owned on that ground
   alone: a customer key in another account fails the same way and can still be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from core.kernel.arns import parse_arn
from core.kernel.copy_jobs import CopyJobUpdate, KeyManager, RecoveryPointKey
from core.kernel.ports import CopyJobPort, KeyPort

AWS_OWNED_KEY_TYPE = "AWS_OWNED_KMS_KEY"


class KeyReason(StrEnum):
    AWS_MANAGED = "key-aws-managed"
    AWS_OWNED = "key-aws-owned"
    NOT_ENCRYPTED = "not-encrypted"
    CUSTOMER_MANAGED = "key-customer-managed"
    UNVERIFIED = "key-unverified"


@dataclass(frozen=True, slots=True)
class KeyEvidence:
    key_arn: str | None
    key_manager: KeyManager | None  # None: no key ARN, or DescribeKey cannot see the key
    recovery_point: RecoveryPointKey | None = None  # asked only when KeyManager is unknown
    vault_type: str | None = None


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    independent: bool
    reason: KeyReason
    explanation: str
    key_arn: str | None


def judge_key(evidence: KeyEvidence) -> KeyVerdict:
    """Apply the module's rule to what AWS reported about one finished copy."""
    key = evidence.key_arn
    if key is None and evidence.recovery_point is not None:
        key = evidence.recovery_point.key_arn
    where = f"{key or 'unknown key'} in a {evidence.vault_type or 'backup'} vault"
    if evidence.key_manager is KeyManager.AWS:
        return KeyVerdict(True, KeyReason.AWS_MANAGED, f"AWS managed key {where}", key)
    if evidence.key_manager is KeyManager.CUSTOMER:
        return KeyVerdict(False, KeyReason.CUSTOMER_MANAGED, f"customer managed key {where}", key)
    point = evidence.recovery_point
    if point is not None and point.key_type == AWS_OWNED_KEY_TYPE:
        return KeyVerdict(True, KeyReason.AWS_OWNED, f"AWS owned key {where}", key)
    if point is not None and point.is_encrypted is False:
        return KeyVerdict(True, KeyReason.NOT_ENCRYPTED, "the copy is not encrypted", None)
    return KeyVerdict(
        False,
        KeyReason.UNVERIFIED,
        f"could not verify {where}: KMS cannot describe it and AWS Backup does not say "
        "it is AWS owned",
        key,
    )


@dataclass
class KeyVerifier:
    """Gathers the evidence with as few calls as possible; KeyManager is cached per key."""

    backup: CopyJobPort
    keys: KeyPort
    _managers: dict[str, KeyManager] = field(default_factory=dict)  # a key's manager never changes

    def verify(self, update: CopyJobUpdate) -> KeyVerdict:
        if update.copy_job_id is None:
            raise ValueError("a finished copy job event always names its copy job")
        job = self.backup.describe_copy_job(update.copy_job_id)
        manager = self.key_manager(job.destination_key_arn)
        if manager is not None:
            return judge_key(
                KeyEvidence(job.destination_key_arn, manager, None, job.destination_vault_type)
            )
        destination = update.destination_recovery_point_arn or job.destination_recovery_point_arn
        if destination is None or _in_another_region(update):
            # A cross-Region copy's recovery point lives in the DR Region, which this Region's
            # AWS Backup cannot describe: KMS's answer (asked in the key's Region) is all there is.
            return judge_key(
                KeyEvidence(job.destination_key_arn, None, None, job.destination_vault_type)
            )
        point = self.backup.recovery_point_key(update.destination_vault_name, destination)
        key_arn = job.destination_key_arn or point.key_arn
        if key_arn != job.destination_key_arn:
            manager = self.key_manager(key_arn)
        return judge_key(
            KeyEvidence(key_arn, manager, point, job.destination_vault_type or point.vault_type)
        )

    def key_manager(self, key_arn: str | None) -> KeyManager | None:
        if key_arn is None:
            return None
        if key_arn not in self._managers:
            manager = self.keys.key_manager(key_arn)
            if manager is None:
                return None  # not visible now: ask again next time
            self._managers[key_arn] = manager
        return self._managers[key_arn]


def _in_another_region(update: CopyJobUpdate) -> bool:
    return parse_arn(update.destination_vault_arn, field="vault").region != update.region

"""Which finished copies are independent of a customer key (core.tracking.key_verification)."""

from __future__ import annotations

from core.kernel.copy_jobs import KeyManager, RecoveryPointKey
from core.tracking.key_verification import KeyEvidence, KeyReason, KeyVerifier, judge_key
from tests.samples import DR_SVC_RDS_VAULT_ARN
from tests.tracking_fakes import (
    AWS_BACKUP_KEY,
    AWS_OWNED_KEY,
    COMPLETED,
    CUSTOMER_KEY,
    FakeKeys,
    FakeTrackingBackup,
    copy_job_facts,
    copy_update,
)

LAG = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
OWNED_IN_LAG = RecoveryPointKey(AWS_OWNED_KEY, "AWS_OWNED_KMS_KEY", LAG, True)


# --- the rule (pure) ---------------------------------------------------------------------------


def test_given_an_aws_managed_key_when_judged_then_independent() -> None:
    verdict = judge_key(KeyEvidence(AWS_BACKUP_KEY, KeyManager.AWS))
    assert (verdict.independent, verdict.reason) == (True, KeyReason.AWS_MANAGED)
    assert verdict.key_arn == AWS_BACKUP_KEY


def test_given_a_customer_managed_key_when_judged_then_dependent() -> None:
    verdict = judge_key(KeyEvidence(CUSTOMER_KEY, KeyManager.CUSTOMER))
    assert (verdict.independent, verdict.reason) == (False, KeyReason.CUSTOMER_MANAGED)


def test_given_an_aws_owned_key_of_a_lag_vault_when_judged_then_independent() -> None:
    verdict = judge_key(KeyEvidence(AWS_OWNED_KEY, None, OWNED_IN_LAG, LAG))
    assert (verdict.independent, verdict.reason) == (True, KeyReason.AWS_OWNED)


def test_given_an_invisible_key_without_an_aws_owned_type_when_judged_then_unverified() -> None:
    # A CMK in another account fails DescribeKey exactly like an AWS owned key does
    point = RecoveryPointKey(AWS_OWNED_KEY, "CUSTOMER_MANAGED_KMS_KEY", LAG, True)
    verdict = judge_key(KeyEvidence(AWS_OWNED_KEY, None, point, LAG))
    assert (verdict.independent, verdict.reason) == (False, KeyReason.UNVERIFIED)


def test_given_an_invisible_key_in_a_lag_vault_without_a_key_type_when_judged_then_unverified() -> (
    None
):
    # The vault type alone proves nothing: LAG vaults may be created with a customer key
    verdict = judge_key(KeyEvidence(AWS_OWNED_KEY, None, RecoveryPointKey(None, None, LAG, True)))
    assert verdict.independent is False


def test_given_an_unencrypted_copy_when_judged_then_independent() -> None:
    verdict = judge_key(KeyEvidence(None, None, RecoveryPointKey(None, None, None, False)))
    assert (verdict.independent, verdict.reason) == (True, KeyReason.NOT_ENCRYPTED)


def test_given_no_evidence_at_all_when_judged_then_unverified() -> None:
    assert judge_key(KeyEvidence(None, None)).reason is KeyReason.UNVERIFIED


def test_given_kms_says_customer_when_the_type_says_aws_owned_then_kms_wins() -> None:
    # KMS is asked about the very key; DescribeKey answering at all means the key is visible
    verdict = judge_key(KeyEvidence(CUSTOMER_KEY, KeyManager.CUSTOMER, OWNED_IN_LAG, LAG))
    assert verdict.independent is False


# --- gathering the evidence ---------------------------------------------------------------------


def verifier(backup: FakeTrackingBackup, keys: FakeKeys) -> KeyVerifier:
    return KeyVerifier(backup=backup, keys=keys)


def test_given_a_copy_under_aws_backup_when_verified_then_no_recovery_point_call_is_made() -> None:
    update = copy_update(COMPLETED)
    backup, keys = FakeTrackingBackup(), FakeKeys()
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(update)
    verdict = verifier(backup, keys).verify(update)
    assert verdict.reason is KeyReason.AWS_MANAGED
    assert backup.calls["DescribeRecoveryPoint"] == 0


def test_given_two_copies_under_the_same_key_when_verified_then_kms_is_asked_once() -> None:
    update = copy_update(COMPLETED)
    other = copy_update(COMPLETED, copyJobId="OTHER-JOB")
    backup, keys = FakeTrackingBackup(), FakeKeys()
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(update)
    backup.copy_jobs["OTHER-JOB"] = copy_job_facts(other)
    checker = verifier(backup, keys)
    checker.verify(update)
    checker.verify(other)
    assert keys.calls[AWS_BACKUP_KEY] == 1


def test_given_an_invisible_key_when_verified_then_the_recovery_point_is_asked() -> None:
    # Given a LAG copy whose key KMS cannot describe, and AWS Backup saying it is AWS owned
    update = copy_update(COMPLETED)
    backup, keys = FakeTrackingBackup(), FakeKeys()
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(
        update, destination_key_arn=AWS_OWNED_KEY, destination_vault_type=LAG
    )
    backup.recovery_point_keys[str(update.destination_recovery_point_arn)] = OWNED_IN_LAG
    # When verified
    verdict = verifier(backup, keys).verify(update)
    # Then the recovery point settled it
    assert verdict.reason is KeyReason.AWS_OWNED
    assert backup.calls["DescribeRecoveryPoint"] == 1


def test_given_a_cross_region_copy_under_an_invisible_key_when_verified_then_it_is_unverified() -> (
    None
):
    # Given a copy into the DR Region's aws/rds vault whose key KMS cannot describe
    update = copy_update(COMPLETED, destinationBackupVaultArn=DR_SVC_RDS_VAULT_ARN)
    backup, keys = FakeTrackingBackup(), FakeKeys()
    dr_key = "arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(update, destination_key_arn=dr_key)
    # When verified
    verdict = verifier(backup, keys).verify(update)
    # Then it is reported like a dependent copy, without asking this Region's AWS Backup about
    # a recovery point of another Region
    assert (verdict.independent, verdict.reason) == (False, KeyReason.UNVERIFIED)
    assert backup.calls["DescribeRecoveryPoint"] == 0


def test_given_an_invisible_key_when_verified_twice_then_kms_is_asked_again() -> None:
    # "Not visible" is not cached: a key policy or an IAM grant may be fixed meanwhile
    update = copy_update(COMPLETED)
    backup, keys = FakeTrackingBackup(), FakeKeys()
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(
        update, destination_key_arn=AWS_OWNED_KEY
    )
    checker = verifier(backup, keys)
    checker.verify(update)
    checker.verify(update)
    assert keys.calls[AWS_OWNED_KEY] == 2


def test_given_a_job_without_a_key_arn_when_verified_then_the_recovery_points_key_is_used() -> None:
    update = copy_update(COMPLETED)
    backup, keys = FakeTrackingBackup(), FakeKeys()
    backup.copy_jobs[str(update.copy_job_id)] = copy_job_facts(update, destination_key_arn=None)
    backup.recovery_point_keys[str(update.destination_recovery_point_arn)] = RecoveryPointKey(
        CUSTOMER_KEY, "CUSTOMER_MANAGED_KMS_KEY", "BACKUP_VAULT", True
    )
    verdict = verifier(backup, keys).verify(update)
    assert (verdict.reason, verdict.key_arn) == (KeyReason.CUSTOMER_MANAGED, CUSTOMER_KEY)

"""Fault knobs: throttling, 5xx, failing copies; set per test, reset by every moto reset."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import emulator
from tests.emulator.emulator_testkit import Vaults, error_of

StartCopy = Callable[..., str]


def test_given_full_throttling_when_a_backup_call_is_made_then_throttling_exception(
    backup: Any,
) -> None:
    # Given
    emulator.set_faults(throttle_rate=1.0)
    # When
    with pytest.raises(ClientError) as raised:
        backup.list_backup_vaults()
    # Then
    assert error_of(raised)[0] == "ThrottlingException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_given_full_server_errors_when_a_backup_call_is_made_then_service_unavailable_503(
    backup: Any,
) -> None:
    # Given
    emulator.set_faults(server_error_rate=1.0)
    # When
    with pytest.raises(ClientError) as raised:
        backup.list_copy_jobs()
    # Then
    assert error_of(raised)[0] == "ServiceUnavailableException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_given_faults_limited_to_start_copy_job_when_other_calls_are_made_then_they_succeed(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.set_faults(throttle_rate=1.0, operations=["StartCopyJob"])
    source = emulator.seed_recovery_point(vaults.daily, resource_type="S3")
    # When
    with pytest.raises(ClientError) as raised:
        start_copy(source, vaults.lag)
    # Then
    assert error_of(raised)[0] == "ThrottlingException"
    assert backup.describe_backup_vault(BackupVaultName=vaults.lag)["VaultType"]


def test_given_a_third_of_calls_throttled_when_many_calls_are_made_then_some_fail_some_pass(
    backup: Any,
) -> None:
    # Given
    emulator.set_faults(throttle_rate=0.33)
    outcomes = []
    # When
    for _ in range(30):
        try:
            backup.list_backup_vaults()
            outcomes.append("ok")
        except ClientError:
            outcomes.append("throttled")
    # Then
    assert 3 <= outcomes.count("throttled") <= 20


def test_given_full_copy_failure_when_a_copy_runs_then_it_fails_with_a_transient_message(
    backup: Any, vaults: Vaults, start_copy: StartCopy
) -> None:
    # Given
    emulator.set_faults(copy_failure_rate=1.0)
    job_id = start_copy(emulator.seed_recovery_point(vaults.daily, resource_type="S3"), vaults.lag)
    # When
    emulator.settle()
    # Then
    job = backup.describe_copy_job(CopyJobId=job_id)["CopyJob"]
    assert job["State"] == "FAILED"
    assert "internal error" in job["StatusMessage"]


def test_given_faults_set_when_reset_then_calls_succeed_again(backup: Any) -> None:
    # Given
    emulator.set_faults(server_error_rate=1.0)
    # When
    emulator.reset_faults()
    # Then
    assert backup.list_backup_vaults()["BackupVaultList"] == []


def test_given_an_unknown_knob_when_set_then_value_error() -> None:
    # When / Then
    with pytest.raises(ValueError, match="unknown fault knobs"):
        emulator.set_faults(throttle=1.0)


def test_given_faults_in_the_environment_when_moto_resets_then_they_apply(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given
    monkeypatch.setenv("EMULATOR_FAULTS", json.dumps({"copy_failure_rate": 0.5}))
    emulator.install()
    # When
    with mock_aws():
        knobs = emulator.current_faults()
    # Then
    assert knobs.copy_failure_rate == 0.5


def test_given_faults_set_in_one_mock_when_a_new_mock_starts_then_they_are_gone() -> None:
    # Given
    emulator.install()
    with mock_aws():
        emulator.set_faults(throttle_rate=1.0)
    # When
    with mock_aws():
        knobs = emulator.current_faults()
    # Then
    assert knobs.throttle_rate == 0.0

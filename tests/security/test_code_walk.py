"""The code walk itself, on a small made-up code base (``walk_sample``): it must find calls made
through ports, paginators, cold-start code and methods handed over as callables, ignore code
nothing reaches, and report what it cannot type.
"""

from __future__ import annotations

import pytest

from tests.security.code_calls import AwsCall, CodeModel, Reach, reach


@pytest.fixture(scope="module")
def walked(code: CodeModel) -> Reach:
    return reach(code, "walk_sample.handler", "lambda_handler")


def test_given_a_call_behind_a_protocol_port_when_walked_then_the_adapter_s_call_is_found(
    walked: Reach,
) -> None:
    assert AwsCall("backup", "StartCopyJob") in walked.calls
    assert walked.calls[AwsCall("backup", "StartCopyJob")] == {"walk_sample.gateway.Gateway.copy"}


def test_given_a_paginator_when_walked_then_its_operation_is_found(walked: Reach) -> None:
    assert AwsCall("backup", "ListCopyJobs") in walked.calls


def test_given_a_call_at_import_time_when_walked_then_it_is_found(walked: Reach) -> None:
    assert AwsCall("kms", "DescribeKey") in walked.calls


def test_given_code_nothing_reaches_when_walked_then_its_calls_are_not_counted(
    walked: Reach,
) -> None:
    assert AwsCall("sqs", "PurgeQueue") not in walked.calls
    assert AwsCall("backup", "DeleteBackupVault") not in walked.calls
    assert set(walked.calls) == {
        AwsCall("backup", "StartCopyJob"),
        AwsCall("backup", "ListCopyJobs"),
        AwsCall("kms", "DescribeKey"),
    }


def test_given_a_client_used_through_an_untyped_value_when_walked_then_it_is_reported(
    walked: Reach,
) -> None:
    assert walked.unresolved == [
        "walk_sample.service.untyped:16: .start_backup_job on an untyped value"
    ]


def test_given_a_method_handed_over_as_a_callable_when_walked_then_the_hand_over_reaches_it(
    code: CodeModel,
) -> None:
    # Given a handler that hands Gateway.copy to code that calls it through a Callable field
    handing_over = reach(code, "walk_sample.handed_over", "lambda_handler")
    # When only the code that calls the callable is walked
    calling_only = reach(code, "walk_sample.handed_over", "run")
    # Then the call belongs to the hand-over (the reference), not to the caller of the callable
    assert handing_over.calls[AwsCall("backup", "StartCopyJob")] == {
        "walk_sample.gateway.Gateway.copy"
    }
    assert AwsCall("backup", "StartCopyJob") not in calling_only.calls

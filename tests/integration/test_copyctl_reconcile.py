"""``copyctl status`` and ``copyctl reconcile`` on the emulator, and what they say without access.

In process (moto's ``mock_aws``) for most cases; one case against a ``ThreadedMotoServer`` through
``--endpoint-url``, as an operator would run it against ``python -m emulator.server``.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import emulator
from copyctl.__main__ import main
from copyctl.configuration import output_key
from core.kernel.ledger_states import LedgerState
from tests.integration.reconciler_estate import Estate, build_estate
from tests.local_server import emulator_server, free_port
from tests.samples import ACCOUNT, REGION

CONTINUOUS = "arn:aws:backup:us-east-1:111122223333:recovery-point:continuous:"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document


def copyctl(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Estate]:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    emulator.install()
    with mock_aws():
        yield build_estate()


@pytest.fixture
def env_file(estate: Estate, tmp_path: Path) -> str:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(estate.env), encoding="utf-8")
    return str(path)


def seed(count: int = 2) -> list[str]:
    points = [emulator.seed_recovery_point("daily", resource_type="S3") for _ in range(count)]
    points.append(emulator.seed_recovery_point("hourly", resource_type="S3", continuous=True))
    return points


# --- status ---------------------------------------------------------------------------------


def test_given_points_nobody_copied_when_status_then_coverage_and_reasons_are_printed(
    estate: Estate, env_file: str
) -> None:
    daily = seed()[:2]
    run = copyctl("status", "--env", env_file, "--json")
    assert run.code == 0
    document = run.document
    assert document["totals"]["in-scope"] == 3
    assert (document["totals"]["unprotected"], document["totals"]["unprotectable"]) == (2, 1)
    reasons = {row["recovery_point_arn"]: row["reason"] for row in document["unprotected"]}
    assert reasons == {
        **dict.fromkeys(daily, "no-ledger-entry"),
        **{arn: "skip-continuous" for arn in reasons if arn.startswith(CONTINUOUS)},
    }
    assert estate.copy_jobs_of(daily[0]) == []  # status only reads


def test_given_points_when_status_is_printed_as_text_then_a_table_per_vault_type_target(
    estate: Estate, env_file: str
) -> None:
    seed()
    run = copyctl("status", "--env", env_file)
    lines = run.out.splitlines()
    assert lines[1].split()[:4] == ["vault", "resource", "type", "target"]
    assert any(line.split()[:4] == ["daily", "S3", "none", "2"] for line in lines)
    assert "Not protected: 3" in run.out


def test_given_one_vault_asked_when_status_then_only_that_vault_is_read(
    estate: Estate, env_file: str
) -> None:
    seed()
    document = copyctl("status", "--env", env_file, "--vault", "hourly", "--json").document
    assert document["scope"]["vaults"] == ["hourly"]
    assert document["totals"]["in-scope"] == 1


def test_given_a_vault_that_is_not_a_source_when_status_then_one_line_and_exit_2(
    estate: Estate, env_file: str
) -> None:
    run = copyctl("status", "--env", env_file, "--vault", "lag")
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "not a source vault: lag" in run.err


def test_given_a_stack_when_status_then_its_outputs_are_the_configuration(
    estate: Estate,
) -> None:
    # Given a stack publishing one output per variable (docs/contracts.md)
    outputs = {output_key(name): {"Value": value} for name, value in estate.env.items() if value}
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName="orchestrator", TemplateBody=json.dumps(template))
    seed()
    # When the status is read with --stack
    run = copyctl("status", "--stack", "orchestrator", "--region", REGION, "--json")
    # Then it found the vaults and the ledger through the outputs
    assert run.code == 0, run.err
    assert run.document["totals"]["in-scope"] == 3


def test_given_a_stack_without_the_outputs_when_status_then_it_names_the_missing_ones(
    estate: Estate,
) -> None:
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="bare", TemplateBody=json.dumps(template)
    )
    run = copyctl("status", "--stack", "bare", "--region", REGION)
    assert run.code == 2
    assert "stack bare has no output SourceVaultNames" in run.err


# --- reconcile --------------------------------------------------------------------------------


def test_given_points_nobody_copied_when_dry_run_then_what_would_be_copied_and_nothing_else(
    estate: Estate, env_file: str
) -> None:
    daily = seed()[:2]
    run = copyctl("reconcile", "--dry-run", "--env", env_file, "--json")
    assert run.code == 0
    copies = run.document["copies"]
    assert sorted(row["recovery_point_arn"] for row in copies) == sorted(daily)
    assert {row["action"] for row in copies} == {"would-copy"}
    assert (
        copies[0]["request"]["DestinationBackupVaultArn"] == estate.settings.managed_vault.vault_arn
    )
    assert estate.copy_jobs_of(daily[0]) == []
    assert estate.entries(daily[0]) == []


def test_given_points_nobody_copied_when_reconciled_then_copied_once_and_settled_next_time(
    estate: Estate, env_file: str
) -> None:
    daily = seed()[:2]
    first = copyctl("reconcile", "--env", env_file, "--json")
    emulator.settle()
    second = copyctl("reconcile", "--env", env_file, "--json")
    assert (first.code, second.code) == (0, 0)
    assert [row["action"] for row in first.document["copies"]] == ["copy-started"] * 2
    assert second.document["copies"] == []
    assert [row["standing"] for row in second.document["settled"]] == ["protected"] * 2
    assert all(len(estate.copy_jobs_of(point)) == 1 for point in daily)


def test_given_points_when_reconciled_as_text_then_the_copies_are_listed(
    estate: Estate, env_file: str
) -> None:
    seed()
    run = copyctl("reconcile", "--env", env_file)
    assert "Copies started: 2" in run.out
    assert "Errors: 0" in run.out


# --- reconcile --retry-failed -----------------------------------------------------------------


def failed_copy(estate: Estate, tmp_path: Path) -> tuple[str, str]:
    """One S3 recovery point whose copy failed for good (one attempt allowed); (point, env)."""
    path = tmp_path / "one-attempt.json"
    path.write_text(json.dumps({**estate.env, "MAX_COPY_ATTEMPTS": "1"}), encoding="utf-8")
    point = emulator.seed_recovery_point("daily", resource_type="S3")
    emulator.set_faults(copy_failure_rate=1.0)
    copyctl("reconcile", "--env", str(path))
    emulator.settle()
    settled = copyctl("reconcile", "--env", str(path), "--json")
    assert [row["standing"] for row in settled.document["settled"]] == ["failed"]
    return point, str(path)


def test_given_a_failed_copy_when_retry_failed_is_dry_run_then_it_is_listed_and_nothing_moves(
    estate: Estate, tmp_path: Path
) -> None:
    point, env = failed_copy(estate, tmp_path)
    # When the retry of failed copies is dry run
    run = copyctl("reconcile", "--retry-failed", "--dry-run", "--env", env, "--json")
    # Then the failed point is listed with the request of its next attempt, and nothing moves
    assert run.code == 0, run.err
    [row] = run.document["retries"]
    assert (row["recovery_point_arn"], row["action"]) == (point, "would-retry")
    assert row["request"]["DestinationBackupVaultArn"] == estate.settings.managed_vault.vault_arn
    assert len(estate.copy_jobs_of(point)) == 1
    [failed] = [e for e in estate.entries(point) if e.destination_vault_arn != "-"]
    assert (failed.state, failed.attempts) == (LedgerState.FAILED, 1)


def test_given_a_failed_copy_when_retried_then_one_attempt_each_time_until_it_is_protected(
    estate: Estate, tmp_path: Path
) -> None:
    point, env = failed_copy(estate, tmp_path)
    # When an operator retries while the cause is still there
    first = copyctl("reconcile", "--retry-failed", "--env", env, "--json")
    emulator.settle()
    copyctl("reconcile", "--env", env)
    # Then exactly one more copy job ran, and the point is failed again (the bound is not reset)
    assert [row["action"] for row in first.document["retries"]] == ["retry-started"]
    assert len(estate.copy_jobs_of(point)) == 2
    [entry] = [e for e in estate.entries(point) if e.destination_vault_arn != "-"]
    assert (entry.state, entry.attempts) == (LedgerState.FAILED, 2)
    # When the cause is fixed and the operator retries again
    emulator.set_faults()
    second = copyctl("reconcile", "--retry-failed", "--env", env)
    emulator.settle()
    settled = copyctl("reconcile", "--env", env, "--json")
    # Then attempt 3 protects it
    assert "Failed copies retried: 1" in second.out
    assert [row["standing"] for row in settled.document["settled"]] == ["protected"]
    assert len(estate.copy_jobs_of(point)) == 3


def test_given_a_failed_copy_when_reconciled_without_retry_failed_then_nothing_is_retried(
    estate: Estate, tmp_path: Path
) -> None:
    point, env = failed_copy(estate, tmp_path)
    emulator.set_faults()
    run = copyctl("reconcile", "--env", env, "--json")
    assert run.document["retries"] == []
    assert len(estate.copy_jobs_of(point)) == 1


# --- without access ---------------------------------------------------------------------------


@pytest.fixture
def sample_env(tmp_path: Path) -> str:
    from tests.samples import SETTINGS_ENV  # noqa: PLC0415

    path = tmp_path / "env.json"
    path.write_text(json.dumps(SETTINGS_ENV), encoding="utf-8")
    return str(path)


def test_given_no_credentials_when_status_then_one_clear_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, sample_env: str, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    run = copyctl("status", "--env", sample_env)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "Unable to locate credentials" in run.err
    assert "Traceback" not in run.err + run.out


def test_given_a_profile_that_does_not_exist_when_status_then_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, sample_env: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    run = copyctl("status", "--env", sample_env, "--profile", "nobody")
    assert run.code == 2
    assert "nobody" in run.err
    assert run.err.count("\n") == 1


class _AccessDenied(BaseHTTPRequestHandler):
    """Every request refused, as AWS answers a caller without permission."""

    def do_GET(self) -> None:
        body = json.dumps({"Message": "not authorized to perform this action"}).encode()
        self.send_response(403)
        self.send_header("x-amzn-ErrorType", "AccessDeniedException")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815 - the name http.server dispatches POST to

    def log_message(self, *args: Any) -> None:
        pass


def test_given_no_permission_when_status_then_one_clear_line_and_exit_2(sample_env: str) -> None:
    server = HTTPServer(("127.0.0.1", free_port()), _AccessDenied)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        run = copyctl("status", "--env", sample_env, "--endpoint-url", endpoint)
    finally:
        server.shutdown()
        server.server_close()
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "AccessDeniedException" in run.err
    assert "ListRecoveryPointsByBackupVault" in run.err


def test_given_nothing_listening_when_status_then_one_clear_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, sample_env: str
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # the operator's knob; spares the backoff
    endpoint = f"http://127.0.0.1:{free_port()}"
    run = copyctl("status", "--env", sample_env, "--endpoint-url", endpoint)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "Could not connect to the endpoint URL" in run.err


# --- against an emulator server ----------------------------------------------------------------


def test_given_an_emulator_server_when_status_with_its_endpoint_then_it_reads_it(
    tmp_path: Path,
) -> None:
    with emulator_server() as endpoint:
        emulator.EmulatorClient(endpoint).reset()
        estate = build_estate(endpoint_url=endpoint)
        control = emulator.EmulatorClient(endpoint)
        point = control.seed_recovery_point("daily", resource_type="S3")
        path = tmp_path / "env.json"
        path.write_text(json.dumps(estate.env), encoding="utf-8")
        run = copyctl("status", "--env", str(path), "--endpoint-url", endpoint, "--json")
    assert run.code == 0, run.err
    assert [row["recovery_point_arn"] for row in run.document["unprotected"]] == [point]

"""``copyctl plan`` and ``matrix``: offline, no AWS call, requests valid against botocore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copyctl.__main__ import main
from tests.samples import EVENTS_DIR, SETTINGS_ENV, readme_expectations

EXPECTATIONS = readme_expectations()
# The reconciler's, key guard's and service-key resolver's samples are not events of the copy path.
OTHER_HANDLERS = ("kms-", "scheduled-", "cloudformation-")
SINGLE_EVENTS = sorted(
    key
    for key, row in EXPECTATIONS.items()
    if key.endswith(".json") and row.expected != "batch" and not key.startswith(OTHER_HANDLERS)
)


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "env.json"
    path.write_text(json.dumps(SETTINGS_ENV), encoding="utf-8")
    return path


def _plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main(["plan", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", SINGLE_EVENTS)
def test_given_a_sample_event_when_planned_then_the_readme_outcome_is_printed(
    name: str, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expectation = EXPECTATIONS[name]

    code, document = _plan_json(capsys, str(EVENTS_DIR / name), "--env", str(env_file))

    (result,) = document["results"]
    if expectation.rejected_reason:
        assert (code, result["outcome"]) == (1, "rejected")
        assert result["reason"] == expectation.rejected_reason
        assert expectation.quoted_why in result["explanation"]
    else:
        assert code == 0
        assert (result["reason"], result["target"]) == (expectation.expected, expectation.target)
        assert result["problems"] == []


def test_given_a_copy_when_planned_then_the_request_names_the_destination_and_retention(
    env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = str(EVENTS_DIR / "backup-completed-ebs-lag-plan.json")

    _, document = _plan_json(capsys, event, "--env", str(env_file), "--retention-days", "3")

    request = document["results"][0]["request"]
    assert request["DestinationBackupVaultArn"] == SETTINGS_ENV["LAG_VAULT_ARN"]
    assert request["Lifecycle"] == {"DeleteAfterDays": 7}  # the LAG vault's minimum
    assert document["assumptions"]["source_retention_days"] == 3


def test_given_the_mixed_batch_when_planned_then_every_record_gets_its_readme_outcome(
    env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = _plan_json(
        capsys, str(EVENTS_DIR / "sqs-batch-mixed.json"), "--env", str(env_file)
    )

    outcomes = {result["record"]: result for result in document["results"]}
    assert code == 1  # the batch holds malformed records
    for message_id, result in outcomes.items():
        expected = EXPECTATIONS[message_id]
        wanted = expected.rejected_reason or expected.expected
        assert result["reason"] == wanted, message_id


def test_given_no_env_when_planned_then_the_bundled_example_configuration_is_used(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SOURCE_VAULT_NAMES", raising=False)

    code = main(["plan", str(EVENTS_DIR / "backup-completed-s3-non-lag-plan.json")])

    out = capsys.readouterr().out
    assert code == 0
    assert "COPY copy-to-managed" in out
    assert "valid against botocore's model" in out


def test_given_an_invalid_configuration_when_planned_then_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "env.json"
    bad.write_text(json.dumps({**SETTINGS_ENV, "LAG_VAULT_ARN": "not-an-arn"}), encoding="utf-8")

    code = main(["plan", str(EVENTS_DIR / "backup-completed-ebs-lag-plan.json"), "--env", str(bad)])

    err = capsys.readouterr().err
    assert code == 2
    assert "LAG_VAULT_ARN" in err
    assert "Traceback" not in err


def test_given_a_missing_event_file_when_planned_then_exit_2_names_the_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["plan", "events/no-such-file.json"])

    assert code == 2
    assert "no-such-file.json" in capsys.readouterr().err


def test_given_a_matrix_override_when_printed_then_the_override_is_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "env.json"
    overrides = json.dumps({"RDS": {"lag": True}})
    env.write_text(json.dumps({"SUPPORT_MATRIX_OVERRIDES": overrides}), encoding="utf-8")

    code = main(["matrix", "--env", str(env), "--json"])

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["resource_types"]["RDS"] == {
        **document["resource_types"]["RDS"],
        "lag": True,
        "overridden": True,
    }
    assert document["as_of"]


def test_given_no_override_when_printed_then_the_bundled_matrix_and_its_source_are_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["matrix"])

    out = capsys.readouterr().out
    assert code == 0
    assert "docs.aws.amazon.com" in out
    assert "(overridden)" not in out


@pytest.mark.parametrize("broken", ["env", "event"])
def test_given_a_file_that_is_not_json_when_planned_then_one_clear_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], env_file: Path, broken: str
) -> None:
    # Given an --env file or an event file that is not JSON
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    event = bad if broken == "event" else EVENTS_DIR / "backup-completed-ebs-lag-plan.json"
    env = bad if broken == "env" else env_file

    # When
    code = main(["plan", str(event), "--env", str(env)])

    # Then the file is named in one line, not a traceback
    err = capsys.readouterr().err
    assert code == 2
    assert "broken.json is not JSON" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_given_the_bundled_matrix_when_printed_as_json_then_rds_names_its_service_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the shipped matrix / When printed as JSON
    code = main(["matrix", "--json"])
    document = json.loads(capsys.readouterr().out)
    # Then RDS is not fully managed and needs aws/rds; S3 needs no service key; sources are named
    assert code == 0
    assert document["resource_types"]["RDS"]["fully_managed"] is False
    assert document["resource_types"]["RDS"]["service_key"] == "aws/rds"
    assert document["resource_types"]["S3"]["service_key"] is None
    assert document["service_key_source"].endswith("encryption.html#copy-encryption")


def test_given_the_bundled_matrix_when_printed_then_the_new_columns_are_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["matrix"])
    out = capsys.readouterr().out
    rds = next(line for line in out.splitlines() if line.startswith("RDS "))
    assert code == 0
    assert "service key" in out
    assert rds.split()[1:5] == ["no", "yes", "no", "aws/rds"]

"""Reading templates: short-form tags, intrinsic functions, cron schedules (pure, no moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator import cron
from emulator.cloudformation import intrinsics, reader
from emulator.cloudformation.render import render


def _context(**parameters: Any) -> intrinsics.Context:
    return intrinsics.Context(
        region="us-east-1",
        account="123456789012",
        stack_name="stack",
        parameters=parameters,
        condition_definitions={"IsDr": {"Fn::Equals": [{"Ref": "Role"}, "dr"]}},
    )


def test_given_short_form_tags_when_loaded_then_they_become_long_form() -> None:
    # Given
    text = "A: !Ref X\nB: !GetAtt K.Arn\nC: !Sub 'x-${Y}'\nD: !If [C, 1, 2]\nE: !Condition C\n"
    # When
    loaded = reader.loads(text)
    # Then
    assert loaded == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["K", "Arn"]},
        "C": {"Fn::Sub": "x-${Y}"},
        "D": {"Fn::If": ["C", 1, 2]},
        "E": {"Condition": "C"},
    }


def test_given_sub_with_pseudo_parameters_and_attributes_when_evaluated_then_all_resolve() -> None:
    # Given
    context = _context(Env="dev")
    context.attributes[("Vault", "BackupVaultArn")] = "arn:vault"
    value = {"Fn::Sub": "${AWS::StackName}-${Env}-${AWS::Region}-${Vault.BackupVaultArn}"}
    # When
    evaluated = intrinsics.evaluate(value, context)
    # Then
    assert evaluated == "stack-dev-us-east-1-arn:vault"


@pytest.mark.parametrize(("role", "expected"), [("dr", ["a", "b"]), ("primary", ["b"])])
def test_given_if_with_no_value_when_evaluated_then_the_false_branch_disappears(
    role: str, expected: list[str]
) -> None:
    # Given
    value = [{"Fn::If": ["IsDr", "a", {"Ref": "AWS::NoValue"}]}, "b"]
    # When
    evaluated = intrinsics.evaluate(value, _context(Role=role))
    # Then
    assert evaluated == expected


def test_given_join_select_and_split_when_evaluated_then_lists_compose() -> None:
    # Given
    value = {
        "Fn::Join": [
            "+",
            [{"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, {"Fn::Select": [0, ["w"]]}],
        ]
    }
    # When / Then
    assert intrinsics.evaluate(value, _context()) == "y+w"


def test_given_refs_inside_properties_when_scanned_then_every_logical_id_is_found() -> None:
    # Given
    value = {
        "A": {"Ref": "Key"},
        "B": {"Fn::GetAtt": ["Vault", "Arn"]},
        "C": {"Fn::Sub": "${Q.Arn}"},
    }
    # When / Then
    assert intrinsics.references(value) == {"Key", "Vault", "Q"}


def test_given_an_hourly_cron_when_a_day_passes_then_it_fires_24_times_at_minute_20() -> None:
    # Given
    start = datetime(2026, 3, 1, tzinfo=UTC)
    # When
    fired = list(cron.fire_times("cron(20 * * * ? *)", "Etc/UTC", start, start.replace(day=2)))
    # Then
    assert len(fired) == 24
    assert {moment.minute for moment in fired} == {20}


def test_given_a_monthly_cron_when_march_passes_then_it_fires_on_the_first_only() -> None:
    # Given
    start = datetime(2026, 3, 1, tzinfo=UTC)
    # When
    fired = list(cron.fire_times("cron(20 7 1 * ? *)", "Etc/UTC", start, start.replace(month=4)))
    # Then
    assert fired == [datetime(2026, 3, 1, 7, 20, tzinfo=UTC)]


def test_given_a_weekday_cron_in_a_time_zone_when_a_week_passes_then_it_fires_on_mondays() -> None:
    # Given (AWS weekdays: 1 = SUN, so MON = 2)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    # When
    fired = list(
        cron.fire_times("cron(0 9 ? * MON *)", "Europe/Berlin", start, start.replace(day=8))
    )
    # Then
    assert fired == [datetime(2026, 3, 2, 8, 0, tzinfo=UTC)]


def test_given_base64_when_rendered_then_the_renderer_evaluates_it_as_the_provisioner() -> None:
    # Given a template using Fn::Base64 and a Condition-named mapping as data
    template = reader.loads(
        "Resources:\n"
        "  Q:\n"
        "    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      Tags: [{Key: k, Value: !Base64 abc}]\n"
        "      Policy: {Condition: {Bool: {x: 'true'}}}\n"
    )
    # When the test-facing renderer renders it
    rendered = render(template)
    # Then it evaluated the function as the provisioner does, and left data as data
    properties = rendered.properties("Q")
    assert properties["Tags"] == [{"Key": "k", "Value": "YWJj"}]
    assert properties["Policy"] == {"Condition": {"Bool": {"x": "true"}}}


def test_given_an_unknown_function_when_rendered_then_the_renderer_refuses_it() -> None:
    template = reader.loads(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: !Nope x\n"
    )
    with pytest.raises(NotImplementedError, match="Fn::No"):
        render(template)

"""samconfig.toml: a dev default, a compliance-locked prod, and a DR stack in another Region."""

from __future__ import annotations

import pytest

from tests.infrastructure.expectations import DR_VAULT_ARN
from tests.infrastructure.sam_environments import SamEnvironment


def test_there_are_dev_prod_and_dr_environments(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    assert set(sam_environments) == {"default", "prod", "dr"}
    assert sam_environments["default"].stack_name == "backup-copy-orchestrator-dev"
    assert len({e.stack_name for e in sam_environments.values()}) == 3


@pytest.mark.parametrize("name", ["default", "prod", "dr"])
def test_every_environment_deploys_the_same_way(
    sam_environments: dict[str, SamEnvironment], name: str
) -> None:
    deploy = sam_environments[name].deploy
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True


@pytest.mark.parametrize(
    ("name", "role", "lock_mode"),
    [
        ("default", "primary", "governance"),
        ("prod", "primary", "compliance"),
        ("dr", "dr", "compliance"),
    ],
)
def test_roles_and_lock_modes(
    sam_environments: dict[str, SamEnvironment], name: str, role: str, lock_mode: str
) -> None:
    parameters = sam_environments[name].parameters
    assert (parameters["StackRole"], parameters["VaultLockMode"]) == (role, lock_mode)


def test_dr_stack_lives_in_another_region(sam_environments: dict[str, SamEnvironment]) -> None:
    assert sam_environments["dr"].region != sam_environments["prod"].region


def test_dev_deploys_as_configured(sam_environments: dict[str, SamEnvironment]) -> None:
    # Given the default environment / When CloudFormation evaluates the template's rules
    stack = sam_environments["default"].render()
    # Then nothing blocks the deploy, and dev has no DR copies until a DrVaultArn is given
    assert stack.rule_violations == []
    assert stack.conditions["CopiesToDr"] is False


def test_prod_refuses_to_deploy_without_the_dr_vault(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    # Given prod as committed (the DR vault ARN is only known after the dr stack exists)
    prod = sam_environments["prod"]
    # Then CloudFormation's rule rejects it with the deploy order in the message
    (violation,) = prod.render().rule_violations
    assert "deploy the dr stack first" in violation
    # And with the dr stack's output it deploys and copies to DR
    dr_output = sam_environments["dr"].render().outputs["DrBackupVaultArn"]
    ready = prod.render(DrVaultArn=dr_output)
    assert ready.rule_violations == []
    assert ready.conditions["CopiesToDr"] is True


def test_dr_output_is_what_the_primary_parameter_expects(
    sam_environments: dict[str, SamEnvironment],
) -> None:
    # The renderer enforces DrVaultArn's AllowedPattern: the dr stack's output must pass it.
    dr_output = sam_environments["dr"].render().outputs["DrBackupVaultArn"]
    assert dr_output == DR_VAULT_ARN
    sam_environments["prod"].render(DrVaultArn=dr_output)


def test_dr_environment_deploys_as_configured(sam_environments: dict[str, SamEnvironment]) -> None:
    assert sam_environments["dr"].render().rule_violations == []

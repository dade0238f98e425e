"""A DR_VAULT_ARN of another account is refused at cold start: copies of types AWS Backup does not
fully manage cannot go cross-account under AWS managed keys (encryption.html#copy-encryption), and
the service-key vaults derived from it would send recovery points out of the account."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.kernel.config import load_settings
from core.kernel.errors import ConfigError
from tests.samples import ACCOUNT, DR_REGION, SETTINGS_ENV, vault_arn

other_accounts = st.from_regex(r"[0-9]{12}", fullmatch=True).filter(lambda a: a != ACCOUNT)


@given(account=other_accounts, placement=st.sampled_from(["same-region", "dr-region"]))
def test_given_a_dr_vault_of_another_account_when_loaded_then_it_is_refused(
    account: str, placement: str
) -> None:
    # Given the naming rule's DR vault, but in another account
    env = {
        **SETTINGS_ENV,
        "DR_VAULT_ARN": vault_arn("orchestrator-dr", account=account, region=DR_REGION),
        "SERVICE_KEY_PLACEMENT": placement,
    }
    # When loaded / Then no setting exists that could copy there
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert any("cross-account copies" in problem for problem in refused.value.problems)


def test_given_the_dr_vault_of_this_account_when_loaded_then_its_service_key_vaults_are_here() -> (
    None
):
    settings = load_settings(dict(SETTINGS_ENV))
    accounts = {arn.split(":")[4] for arn in settings.destination_vault_arns}
    assert accounts == {ACCOUNT}

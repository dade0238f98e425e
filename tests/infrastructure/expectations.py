"""Values the template tests share: the account and the DR vault a primary stack copies to."""

from __future__ import annotations

ACCOUNT = "111122223333"
DR_REGION = "us-west-2"
# The DrBackupVaultArn output of samconfig's dr stack (NamePrefix backup-copy-prod).
DR_VAULT_ARN = f"arn:aws:backup:{DR_REGION}:{ACCOUNT}:backup-vault:backup-copy-prod-dr"


def dr_vault_arn(name: str, *, account: str = ACCOUNT, region: str = DR_REGION) -> str:
    """The DR vault a primary stack named ``name`` (NamePrefix or stack name) copies into."""
    return f"arn:aws:backup:{region}:{account}:backup-vault:{name}-dr"

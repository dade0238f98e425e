"""Values the template tests share: the account and the DR vault a primary stack copies to."""

from __future__ import annotations

ACCOUNT = "111122223333"
DR_REGION = "us-west-2"
# The DrBackupVaultArn output of samconfig's dr stack (test_template_samconfig checks it).
DR_VAULT_ARN = f"arn:aws:backup:{DR_REGION}:{ACCOUNT}:backup-vault:backup-copy-orchestrator-dr-dr"

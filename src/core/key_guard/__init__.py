"""A KMS key that encrypts backups is scheduled for deletion, disabled or re-policied."""

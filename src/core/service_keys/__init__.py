"""The key ARN of an AWS managed key (``alias/aws/rds``...) for the service-key vaults."""

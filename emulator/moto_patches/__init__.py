"""Speed patches to moto 5.2.5's DynamoDB and SQS, in this process only (answers unchanged)."""

from emulator.moto_patches import dynamodb, sqs


def install() -> None:
    """Patch moto's DynamoDB and SQS; idempotent."""
    dynamodb.install()
    sqs.install()

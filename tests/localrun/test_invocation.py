"""The local Lambda runtime's pieces: the partial batch response rule, SQS records, the context."""

from __future__ import annotations

import hashlib

from localrun.invocation import LambdaContext, failed_message_ids, sqs_message, sqs_record

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:q"


def test_given_a_batch_when_lambda_rules_apply_then_failures_are_what_the_handler_reported() -> (
    None
):
    # Given
    ids = ["a", "b"]
    reported = {"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "zzz"}]}
    # Then
    assert failed_message_ids(reported, ids, errored=False) == {"b"}
    assert failed_message_ids({}, ids, errored=False) == set()
    assert failed_message_ids(None, ids, errored=True) == {"a", "b"}
    assert failed_message_ids(reported, ids, errored=False, reports_failures=False) == set()


def test_given_a_message_without_a_queue_when_made_a_record_then_it_has_lambdas_sqs_shape() -> None:
    # Given a message as ReceiveMessage returns it, made up for a handler test
    message = sqs_message("m1", '{"a": 1}', 3, receipt_handle="rh")
    # When
    record = sqs_record(message, QUEUE_ARN, "us-east-1")
    # Then: the fields of an SQS record (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)
    assert record == {
        "messageId": "m1",
        "receiptHandle": "rh",
        "body": '{"a": 1}',
        "attributes": {
            "ApproximateReceiveCount": "3",
            "SentTimestamp": "1791184000000",
            "SenderId": "AIDAEVENTBRIDGE",
            "ApproximateFirstReceiveTimestamp": "1791184000001",
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(b'{"a": 1}').hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


def test_given_a_message_attribute_when_made_a_record_then_lambda_spells_it_in_camel_case() -> None:
    # Given
    message = {**sqs_message("m1", "x"), "MessageAttributes": {"k": {"DataType": "String"}}}
    message["MessageAttributes"]["k"]["StringValue"] = "v"
    # When
    record = sqs_record(message, QUEUE_ARN, "us-east-1")
    # Then
    assert record["messageAttributes"] == {
        "k": {
            "stringValue": "v",
            "binaryValue": None,
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }


def test_given_a_function_when_its_context_is_made_then_it_names_the_function_and_its_limits() -> (
    None
):
    # When
    context = LambdaContext.of(
        "CopyFunction", account="111122223333", region="eu-west-1", memory_mb=256, request_id="r"
    )
    # Then
    assert context.invoked_function_arn == (
        "arn:aws:lambda:eu-west-1:111122223333:function:CopyFunction"
    )
    assert (context.memory_limit_in_mb, context.aws_request_id) == (256, "r")
    assert context.get_remaining_time_in_millis() == 60_000
    assert context.log_group_name == "/aws/lambda/CopyFunction"

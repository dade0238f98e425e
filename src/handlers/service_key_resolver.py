"""Custom::ServiceKey: the key ARN of ``alias/aws/<service>``, for the service-key vaults.

CloudFormation invokes this function (ServiceToken) with a Create, Update or Delete request and
waits for the reply at the request's ResponseURL (at most the resource's ServiceTimeout). The
decision is ``core.service_keys.resolver``; whatever goes wrong, even an error this code does not
expect, CloudFormation hears FAILED with the reason instead of waiting for nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from adapters import clients
from adapters.cfn_response import send_response
from adapters.kms import AwsManagedKeys
from core.service_keys.resolver import failed_reply, resolve, response_url
from handlers.observability import logger, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # noqa: ARG001 - Lambda's signature
    try:
        reply = resolve(event, AwsManagedKeys(clients.kms()))
    except Exception as error:  # CloudFormation must hear FAILED, whatever failed
        logger.exception("service-key-unexpected-error")
        reply = failed_reply(event, f"unexpected error: {type(error).__name__}: {error}")
    url = response_url(event)
    if url is None:
        logger.error("service-key-no-response-url", extra={"reply": reply})
        return {**reply, "Sent": False}
    status = send_response(url, reply)
    logger.info("service-key-reply", extra={"reply": reply, "http_status": status})
    return {**reply, "Sent": True}

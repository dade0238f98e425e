"""The Lambda context the tests hand a handler: the local runtime's one context
(``localrun.invocation.LambdaContext``), with the tests' account, Region and defaults."""

from __future__ import annotations

from localrun.invocation import DEFAULT_REQUEST_ID, LambdaContext
from tests.samples import ACCOUNT, REGION


def FakeLambdaContext(  # noqa: N802 - named as the class it replaced, for the many call sites
    function_name: str = "HandlerUnderTest",
    memory_limit_in_mb: int = 256,
    remaining_milliseconds: int = 60_000,
    aws_request_id: str = DEFAULT_REQUEST_ID,
) -> LambdaContext:
    return LambdaContext.of(
        function_name,
        account=ACCOUNT,
        region=REGION,
        memory_mb=memory_limit_in_mb,
        timeout_millis=remaining_milliseconds,
        request_id=aws_request_id,
    )

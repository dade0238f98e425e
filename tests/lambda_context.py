"""The Lambda context the tests hand a handler: the attributes Powertools reads, per function."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.samples import ACCOUNT, REGION


@dataclass(frozen=True)
class FakeLambdaContext:
    function_name: str = "HandlerUnderTest"
    memory_limit_in_mb: int = 256
    remaining_milliseconds: int = 60_000
    aws_request_id: str = "0f8e2b6c-3d1a-4c5b-9e7f-1a2b3c4d5e6f"
    invoked_function_arn: str = field(init=False)

    def __post_init__(self) -> None:
        arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        object.__setattr__(self, "invoked_function_arn", arn)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_milliseconds

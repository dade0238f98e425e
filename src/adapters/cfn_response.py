"""Send a custom resource's reply to CloudFormation: an HTTP PUT of JSON to the ResponseURL.

"The cfn-response module is available only when you use the ZipFile property to write your
source code. [...] For code in buckets, you must write your own functions to send responses."
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-lambda-function-code-cfnresponsemodule.html)
The ResponseURL is a presigned S3 URL; the body is uploaded as it is, with an empty Content-Type
as AWS's own cfn-response module sends it (a presigned PUT signs the headers it was made with).
Only ``https`` is accepted, and plain ``http`` to the loopback interface, where the local emulator
listens for the reply (emulator/cloudformation/custom_resources.py): never ``file:`` or others.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from core.kernel.errors import PermanentError, RetryableError

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_TIMEOUT_SECONDS = 30


def check_response_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if parts.scheme != "https" and not local:
        raise PermanentError(
            "bad-response-url", f"ResponseURL must be an https URL, not {parts.scheme or url!r}"
        )


def send_response(url: str, reply: Mapping[str, Any]) -> int:
    """PUT the reply; the HTTP status. A failed upload raises RetryableError: Lambda's retries
    of an asynchronous invocation then send it again."""
    check_response_url(url)
    body = json.dumps(reply).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status)
    except (urllib.error.URLError, OSError) as error:
        raise RetryableError("reply-not-sent", f"PUT to the ResponseURL failed: {error}") from error

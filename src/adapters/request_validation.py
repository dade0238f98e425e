"""Check a request against botocore's service model without sending it (``copyctl plan``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator


def request_problems(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """Empty when botocore would accept ``params`` for ``operation``; else what it rejects."""
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    if shape is None:
        return [] if not params else [f"{operation} takes no parameters"]
    report = ParamValidator().validate(dict(params), shape)
    if not report.has_errors():
        return []
    try:
        raise ParamValidationError(report=report.generate_report())
    except ParamValidationError as error:
        return [line.strip() for line in str(error).splitlines()[1:] if line.strip()]

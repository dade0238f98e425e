"""AWS Backup error codes, serialized by moto from botocore's model."""

from __future__ import annotations

from moto.core.exceptions import ServiceException


class ResourceNotFound(ServiceException):
    code = "ResourceNotFoundException"


class InvalidRequest(ServiceException):
    code = "InvalidRequestException"


class InvalidParameterValue(ServiceException):
    code = "InvalidParameterValueException"


class AlreadyExists(ServiceException):
    code = "AlreadyExistsException"


class Throttling(ServiceException):
    code = "ThrottlingException"
    message = "Rate exceeded"


class ServiceUnavailable(ServiceException):
    code = "ServiceUnavailableException"
    message = "The request failed due to a temporary failure of the server."

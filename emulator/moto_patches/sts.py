"""AssumeRole as AWS answers it for a role that does not exist.

moto 5.2.5 hands out credentials for any role ARN; AWS refuses with AccessDenied ("is not
authorized to perform: sts:AssumeRole on resource", https://repost.aws/knowledge-center/iam-assume-role-error).
Only while ``roles_must_exist`` is active: set-up code elsewhere assumes roles it never created.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.exceptions import ServiceException
from moto.iam.models import iam_backends
from moto.sts.models import STSBackend

# moto's own AssumeRole, which any role ARN satisfies (for set-up code inside the block).
assume_any_role = STSBackend.assume_role


class _AccessDenied(ServiceException):
    code = "AccessDenied"


def _assume_existing_role(self: STSBackend, **kwargs: Any) -> Any:
    role_arn = kwargs["role_arn"]
    account = role_arn.split(":")[4]
    names = {role.name for role in iam_backends[account]["global"].roles.values()}
    if role_arn.rsplit("/", 1)[-1] not in names:
        raise _AccessDenied(f"not authorized to perform: sts:AssumeRole on resource: {role_arn}")
    return assume_any_role(self, **kwargs)


@contextmanager
def roles_must_exist() -> Iterator[None]:
    """Within the block, AssumeRole of a role missing from its account is AccessDenied."""
    with mock.patch.object(STSBackend, "assume_role", _assume_existing_role):
        yield


@contextmanager
def any_role() -> Iterator[None]:
    """Within the block, moto's own AssumeRole again (set-up roles need not exist)."""
    with mock.patch.object(STSBackend, "assume_role", assume_any_role):
        yield

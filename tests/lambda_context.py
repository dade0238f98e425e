"""The Lambda context the tests hand a handler: the local runtime's one context
(``localrun.invocation.LambdaContext``) in the sample account and Region."""

from __future__ import annotations

from localrun.samples import sample_context

FakeLambdaContext = sample_context

__all__ = ["FakeLambdaContext"]

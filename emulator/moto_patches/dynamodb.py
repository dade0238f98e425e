"""Make moto 5.2.5's DynamoDB do less work per request: same answers, same errors.

The demo's ledger grows to ~1,500 items and every request paid for all of them:

- a Query first sorts *every item of the table* (``Table.all_items``, DynamoType comparisons),
  then keeps one partition (table query) or one index key (GSI query), then sorts what it kept
  again. Here a table query reads its partition only and a GSI query skips the first sort: the
  second sort orders by the full key, so the first one never decides the result order.
- an UpdateExpression is parsed twice per UpdateItem and walked by ten validators, two of which
  re-collect the actions of the whole subtree at every node. Here the parse of an expression
  text is reused (moto only reads the tree and deep-copies it before validating), the walkers
  stop rebuilding their node-type tuple at every node, and the two collecting validators check
  the root only: its actions include those of every subtree, so it fails exactly when a subtree
  would.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from moto.dynamodb.models import table as table_module
from moto.dynamodb.parsing import ast_nodes, expressions, validators

_PATCHED = "emulator_patched"
_PARSE_CACHE_SIZE = 512

# The items a Query of this thread/task may see, while moto's Table.query runs.
_query_items: ContextVar[tuple[Any, list[Any]] | None] = ContextVar(
    "emulator_query_items", default=None
)


def install() -> None:
    """Patch moto's DynamoDB classes once per process; safe to call any number of times."""
    table_class = table_module.Table
    if getattr(table_class.query, _PATCHED, False):
        return
    _patch_all_items(table_class)
    _patch_query(table_class)
    _patch_parser()
    _patch_traverser()
    _check_root_only(validators.ActionCountValidator)
    _check_root_only(validators.OverlappingPathsValidator)


def _patch_all_items(table_class: Any) -> None:
    original = table_class.all_items

    def all_items(self: Any) -> list[Any]:
        scoped = _query_items.get()
        if scoped is not None and scoped[0] is self:
            return list(scoped[1])
        return list(original(self))

    table_class.all_items = all_items


def _patch_query(table_class: Any) -> None:
    original = table_class.query
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = signature.bind(self, *args, **kwargs).arguments
        items = _candidates(self, call.get("hash_key"), call.get("index_name"))
        with _scoped(self, items):
            return original(self, *args, **kwargs)

    setattr(query, _PATCHED, True)
    table_class.query = query


def _candidates(table: Any, hash_key: Any, index_name: str | None) -> list[Any]:
    """What the query filters: moto keeps, of these, the same items as of all_items()."""
    if index_name or hash_key is None:
        return list(_every_item(table))
    partition = table.items.get(hash_key)
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr else [partition]


def _every_item(table: Any) -> Iterator[Any]:
    for partition in table.items.values():
        if table.range_key_attr:
            yield from partition.values()
        else:
            yield partition


@contextmanager
def _scoped(table: Any, items: list[Any]) -> Iterator[None]:
    token = _query_items.set((table, items))
    try:
        yield
    finally:
        _query_items.reset(token)


def _patch_parser() -> None:
    parser = expressions.UpdateExpressionParser  # type: ignore[attr-defined]
    parse = functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)(parser.make)
    parser.make = staticmethod(parse)


def _patch_traverser() -> None:
    traverser = ast_nodes.DepthFirstTraverser  # type: ignore[attr-defined]
    original: Callable[[Any], tuple[type, ...]] = traverser.nodes_to_be_processed
    by_class: dict[type, tuple[type, ...]] = {}

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        # Every processing map is keyed by classes fixed per traverser class.
        kinds = by_class.get(type(self))
        if kinds is None:
            kinds = by_class[type(self)] = tuple(original(self))
        return kinds

    traverser.nodes_to_be_processed = nodes_to_be_processed


def _check_root_only(validator_class: Any) -> None:
    def traverse(self: Any, node: Any) -> Any:
        if isinstance(node, self.nodes_to_be_processed()):
            self.process(node)
        return node

    validator_class.traverse = traverse

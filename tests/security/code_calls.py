"""The AWS calls a Lambda handler can make, derived from the code, never from a typed list.

mypy (the project's own type checker) builds the typed syntax tree of ``src/``. From the handler
function, the walk follows every function, method and class reachable through calls and references,
resolving a method by the static type of its receiver (a Protocol port resolves to every class of
``src/`` that implements it). Module-level code of every module the handler imports at run time is
reachable too (it runs at cold start). An attribute of an expression typed as a boto3 client
(``mypy_boto3_<service>`` stubs) is an AWS operation: ``start_copy_job`` -> ``StartCopyJob`` through
botocore's own service model; ``get_paginator("query")`` counts as ``Query``.

Anything the walk cannot resolve is reported in ``unresolved`` rather than guessed, so a test can
insist on an empty list: a client used through an untyped value, a waiter, a non-literal paginator.
"""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name
from mypy import build
from mypy.modulefinder import BuildSource
from mypy.nodes import (
    CallExpr,
    ClassDef,
    Decorator,
    Expression,
    FuncDef,
    ImportBase,
    ImportFrom,
    MemberExpr,
    MypyFile,
    NameExpr,
    Node,
    OverloadedFuncDef,
    StrExpr,
    SuperExpr,
    TypeInfo,
)
from mypy.options import Options
from mypy.subtypes import is_subtype
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    TupleType,
    Type,
    TypeType,
    UnionType,
    get_proper_type,
)
from mypy.typevars import fill_typevars_with_any

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
# boto3 client attributes that are not AWS operations and cost no call.
_CLIENT_PLUMBING = frozenset({"meta", "exceptions", "can_paginate", "close"})
_CONSTRUCTORS = ("__new__", "__init__", "__post_init__")


@dataclass(frozen=True, order=True)
class AwsCall:
    service: str  # botocore's service name, e.g. "backup"
    operation: str  # botocore's operation name, e.g. "StartCopyJob"


@dataclass
class Reach:
    """What one entry point can do: AWS calls (with where they are made) and what was unclear."""

    calls: dict[AwsCall, set[str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)


@dataclass
class CodeModel:
    files: dict[str, MypyFile]
    types: dict[Expression, Type]
    classes: list[TypeInfo]
    _implementors: dict[str, list[TypeInfo]] = field(default_factory=dict)
    _reaches: dict[str, Reach] = field(default_factory=dict)

    def is_ours(self, fullname: str) -> bool:
        """Whether a function or class is defined in src/ (libraries are not walked)."""
        parts = fullname.split(".")
        return any(".".join(parts[:n]) in self.files for n in range(len(parts), 0, -1))

    def entry(self, module: str, name: str) -> Node:
        symbol = self.files[module].names.get(name)
        if symbol is None or symbol.node is None:
            raise LookupError(f"{module} defines no {name}")
        return symbol.node

    def implementors(self, protocol: TypeInfo) -> list[TypeInfo]:
        if protocol.fullname not in self._implementors:
            wanted = fill_typevars_with_any(protocol)
            self._implementors[protocol.fullname] = [
                info
                for info in self.classes
                if not info.is_protocol and is_subtype(fill_typevars_with_any(info), wanted)
            ]
        return self._implementors[protocol.fullname]

    def runtime_imports(self, module: str) -> set[str]:
        """Modules of src/ that importing ``module`` executes (TYPE_CHECKING imports excluded)."""
        seen, pending = set(), [module]
        while pending:
            current = pending.pop()
            if current in seen or current not in self.files:
                continue
            seen.add(current)
            pending += [
                name
                for imported in self.files[current].imports
                if not (imported.is_mypy_only or imported.is_unreachable)
                for name in _imported_modules(imported, current)
            ]
        return seen


def _imported_modules(node: ImportBase, importer: str) -> Iterator[str]:
    """Every module an import statement may execute: the named ones and their packages."""
    names = [name for name, _ in getattr(node, "ids", [])]
    if isinstance(node, ImportFrom):
        base = node.id
        if node.relative:
            package = importer.rsplit(".", node.relative)[0]
            base = f"{package}.{node.id}" if node.id else package
        names = [base, *(f"{base}.{name}" for name, _ in node.names)]
    for name in names:
        parts = name.split(".")
        yield from (".".join(parts[:n]) for n in range(1, len(parts) + 1))


def src_modules(src: Path = SRC) -> list[BuildSource]:
    sources = []
    for path in sorted(src.rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        sources.append(BuildSource(str(path), module))
    return sources


def build_code_model(*roots: Path) -> CodeModel:
    """Type-check the source roots (default src/) in one mypy run; keep every expression's type."""
    roots = roots or (SRC,)
    options = Options()
    options.incremental = False
    options.export_types = True
    options.preserve_asts = True
    options.mypy_path = [str(root) for root in roots]
    options.python_version = (3, 11)
    sources = [source for root in roots for source in src_modules(root)]
    # mypy allocates millions of long-lived objects: with the default thresholds the cyclic
    # garbage collector costs about 40% more CPU (measured here).
    thresholds = gc.get_threshold()
    gc.set_threshold(200_000, 30, 30)
    try:
        result = build.build(sources=sources, options=options)
    finally:
        gc.set_threshold(*thresholds)
    ours = {source.module for source in sources}
    files = {name: tree for name, tree in result.files.items() if name in ours}
    classes = [
        node.info
        for tree in files.values()
        for node in _walk_class_defs(tree.defs)
        if isinstance(node, ClassDef)
    ]
    return CodeModel(files, result.types, classes)


def _walk_class_defs(statements: Iterable[Node]) -> Iterator[ClassDef]:
    for statement in statements:
        if isinstance(statement, ClassDef):
            yield statement
            yield from _walk_class_defs(statement.defs.body)


# --- botocore: client method names -> operations ------------------------------------------------


@cache
def _client_services() -> dict[str, str]:
    """``mypy_boto3_backup`` -> ``backup``: the stub package of every botocore service."""
    session = botocore.session.get_session()
    return {
        "mypy_boto3_" + name.replace("-", "_"): name for name in session.get_available_services()
    }


@cache
def operations_by_method(service: str) -> dict[str, str]:
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(operation): operation for operation in model.operation_names}


def client_service(info: TypeInfo) -> str | None:
    """The botocore service of a boto3 client stub class, or None for any other class."""
    package, _, rest = info.fullname.partition(".")
    if not rest.startswith("client."):
        return None
    return _client_services().get(package)


# --- the walk -------------------------------------------------------------------------------------

# The syntactic children of each kind of node (mypy's own traverser is compiled and cannot be
# subclassed). A kind missing here raises: code the walk cannot read must never be skipped quietly.
_CHILDREN: dict[str, tuple[str, ...]] = {
    "Block": ("body",),
    "ExpressionStmt": ("expr",),
    "AssignmentStmt": ("lvalues", "rvalue"),
    "OperatorAssignmentStmt": ("lvalue", "rvalue"),
    "ReturnStmt": ("expr",),
    "RaiseStmt": ("expr", "from_expr"),
    "AssertStmt": ("expr", "msg"),
    "DelStmt": ("expr",),
    "IfStmt": ("expr", "body", "else_body"),
    "WhileStmt": ("expr", "body", "else_body"),
    "ForStmt": ("index", "expr", "body", "else_body"),
    "WithStmt": ("expr", "target", "body"),
    "TryStmt": ("body", "types", "vars", "handlers", "else_body", "finally_body"),
    "MatchStmt": ("subject", "guards", "bodies"),
    "FuncDef": ("arguments", "body"),
    "LambdaExpr": ("arguments", "body"),
    "Argument": ("initializer",),
    "Decorator": ("decorators", "func"),
    "OverloadedFuncDef": ("items",),
    "ClassDef": ("decorators", "base_type_exprs", "defs"),
    "MemberExpr": ("expr",),
    "CallExpr": ("callee", "args"),
    "OpExpr": ("left", "right"),
    "ComparisonExpr": ("operands",),
    "UnaryExpr": ("expr",),
    "IndexExpr": ("base", "index"),
    "SliceExpr": ("begin_index", "end_index", "stride"),
    "ListExpr": ("items",),
    "TupleExpr": ("items",),
    "SetExpr": ("items",),
    "DictExpr": ("items",),
    "StarExpr": ("expr",),
    "AssignmentExpr": ("target", "value"),
    "ConditionalExpr": ("cond", "if_expr", "else_expr"),
    "GeneratorExpr": ("left_expr", "indices", "sequences", "condlists"),
    "ListComprehension": ("generator",),
    "SetComprehension": ("generator",),
    "DictionaryComprehension": ("key", "value", "indices", "sequences", "condlists"),
    "YieldExpr": ("expr",),
    "YieldFromExpr": ("expr",),
    "AwaitExpr": ("expr",),
    "CastExpr": ("expr",),
    "AssertTypeExpr": ("expr",),
    "RevealExpr": ("expr",),
    "SuperExpr": ("call",),
    "TypeApplication": ("expr",),
}
_LEAVES = frozenset(
    {
        "NameExpr",
        "StrExpr",
        "BytesExpr",
        "IntExpr",
        "FloatExpr",
        "ComplexExpr",
        "EllipsisExpr",
        "PassStmt",
        "BreakStmt",
        "ContinueStmt",
        "GlobalDecl",
        "NonlocalDecl",
        "Import",
        "ImportFrom",
        "ImportAll",
        "TempNode",
        "TypeAliasStmt",
    }
)


def walk(root: object) -> Iterator[Node]:
    """Every node under ``root`` (a node, or nested lists and tuples of nodes), pre-order."""
    pending = [root]
    while pending:
        item = pending.pop()
        if item is None:
            continue
        if isinstance(item, list | tuple):
            pending += reversed(item)
            continue
        kind = type(item).__name__
        if kind in _LEAVES:
            yield item  # type: ignore[misc]
            continue
        if kind not in _CHILDREN:
            raise NotImplementedError(f"the call walk cannot read a {kind} (line {item.line})")  # type: ignore[attr-defined]
        yield item  # type: ignore[misc]
        pending += reversed([getattr(item, name) for name in _CHILDREN[kind]])


class _Collector:
    """References and AWS calls in one body; nested functions and lambdas are part of it."""

    def __init__(self, model: CodeModel, where: str) -> None:
        self.model, self.where = model, where
        self.targets: list[Node] = []
        self.calls: list[AwsCall] = []
        self.unresolved: list[str] = []
        self._paginators: set[int] = set()

    def collect(self, body: Node) -> None:
        for node in walk(body):
            if isinstance(node, NameExpr) and _is_code(node.node):
                self.targets.append(node.node)  # type: ignore[arg-type]
            elif isinstance(node, CallExpr):
                self._call(node)
            elif isinstance(node, MemberExpr):
                self._member_expr(node)
            elif isinstance(node, SuperExpr) and node.info is not None:
                self._method(node.info, node.name, after_own=True)

    def _call(self, call: CallExpr) -> None:
        callee = call.callee
        if not isinstance(callee, MemberExpr) or callee.name not in ("get_paginator", "get_waiter"):
            return
        for info in self._receivers(callee.expr) or []:
            service = client_service(info)
            if service is not None:
                self._paginated(service, callee.name, call)
                self._paginators.add(id(callee))

    def _member_expr(self, o: MemberExpr) -> None:
        if _is_code(o.node):
            self.targets.append(o.node)  # type: ignore[arg-type]
        elif id(o) not in self._paginators:
            self._member(o)

    def _paginated(self, service: str, method: str, call: CallExpr) -> None:
        argument = call.args[0] if call.args else None
        name = argument.value if isinstance(argument, StrExpr) else ""
        operation = operations_by_method(service).get(name)
        if method == "get_waiter" or operation is None:
            self.unresolved.append(f"{self.where}:{call.line}: {service} {method} not understood")
            return
        self.calls.append(AwsCall(service, operation))

    def _member(self, o: MemberExpr) -> None:
        receivers = self._receivers(o.expr)
        if receivers is None:
            if _looks_like_an_operation(o.name):
                self.unresolved.append(f"{self.where}:{o.line}: .{o.name} on an untyped value")
            return
        for info in receivers:
            service = client_service(info)
            if service is not None:
                self._client_attribute(service, o)
            else:
                self._method(info, o.name)

    def _client_attribute(self, service: str, o: MemberExpr) -> None:
        operation = operations_by_method(service).get(o.name)
        if operation is not None:
            self.calls.append(AwsCall(service, operation))
        elif o.name not in _CLIENT_PLUMBING:
            self.unresolved.append(f"{self.where}:{o.line}: {service} client .{o.name}")

    def _method(self, info: TypeInfo, name: str, *, after_own: bool = False) -> None:
        owners = self.model.implementors(info) if info.is_protocol else [info]
        for owner in owners:
            for base in owner.mro[1:] if after_own else owner.mro:
                symbol = base.names.get(name)
                if symbol is None:
                    continue
                if _is_code(symbol.node):
                    self.targets.append(symbol.node)  # type: ignore[arg-type]
                break

    def _receivers(self, expr: Expression) -> list[TypeInfo] | None:
        """The classes an expression's value can be an instance of; None when it is untyped."""
        if isinstance(expr, NameExpr | MemberExpr) and isinstance(expr.node, TypeInfo):
            return [expr.node]
        known = self.model.types.get(expr)
        return None if known is None else _infos(known)


def _is_code(node: object) -> bool:
    return isinstance(node, FuncDef | Decorator | OverloadedFuncDef | TypeInfo)


def _infos(typ: Type) -> list[TypeInfo] | None:
    proper = get_proper_type(typ)
    if isinstance(proper, AnyType):
        return None
    if isinstance(proper, Instance):
        return [proper.type]
    if isinstance(proper, TupleType):
        return [proper.partial_fallback.type]
    if isinstance(proper, TypeType) and isinstance(proper.item, Instance):
        return [proper.item.type]
    if isinstance(proper, CallableType) and proper.is_type_obj():
        return [proper.type_object()]
    if isinstance(proper, UnionType):
        found: list[TypeInfo] = []
        for item in proper.items:
            found += _infos(item) or []
        return found
    return []


@cache
def _all_operation_methods() -> frozenset[str]:
    """Operation names of every service whose client stubs are installed (code can type those)."""
    services = [s for stub, s in _client_services().items() if importlib.util.find_spec(stub)]
    return frozenset(name for service in services for name in operations_by_method(service))


def _looks_like_an_operation(name: str) -> bool:
    return "_" in name and name in _all_operation_methods()


def reach(model: CodeModel, module: str, function: str) -> Reach:
    """Everything ``module.function`` (a Lambda handler) can reach, cold start included."""
    key = f"{module}.{function}"
    if key not in model._reaches:
        model._reaches[key] = _walk_from(model, module, function)
    return model._reaches[key]


def _walk_from(model: CodeModel, module: str, function: str) -> Reach:
    found = Reach()
    done: set[int] = set()
    pending: list[tuple[str, Node | MypyFile]] = list(_units(model.entry(module, function)))
    pending += [(name, model.files[name]) for name in sorted(model.runtime_imports(module))]
    while pending:
        where, unit = pending.pop()
        if id(unit) in done:
            continue
        done.add(id(unit))
        collector = _Collector(model, where)
        for body in _bodies(unit):
            collector.collect(body)
        found.functions.add(where)
        for call in collector.calls:
            found.calls.setdefault(call, set()).add(where)
        found.unresolved += collector.unresolved
        pending += [
            (name, node)
            for target in collector.targets
            for name, node in _units(target)
            if model.is_ours(name)
        ]
    return found


def _units(node: Node) -> Iterator[tuple[str, Node]]:
    """A reference's code: a function's body, a class's constructors, every overload."""
    if isinstance(node, Decorator):
        yield node.func.fullname, node.func
    elif isinstance(node, OverloadedFuncDef):
        for item in [*node.items, *([node.impl] if node.impl else [])]:
            yield from _units(item)
    elif isinstance(node, FuncDef):
        yield node.fullname, node
    elif isinstance(node, TypeInfo):
        for name in _CONSTRUCTORS:
            symbol = node.get(name)
            if symbol is not None and symbol.node is not None:
                yield from _units(symbol.node)


def _bodies(unit: Node | MypyFile) -> Iterator[Node]:
    """What runs: a function's body and defaults, or a module's top level (class bodies too)."""
    if isinstance(unit, FuncDef):
        yield from (a.initializer for a in unit.arguments if a.initializer is not None)
        yield unit.body
    elif isinstance(unit, MypyFile):
        yield from _top_level(unit.defs)


def _top_level(statements: Iterable[Node]) -> Iterator[Node]:
    for statement in statements:
        if isinstance(statement, FuncDef):
            yield from (a.initializer for a in statement.arguments if a.initializer is not None)
        elif isinstance(statement, Decorator):
            yield from statement.decorators
        elif isinstance(statement, OverloadedFuncDef):
            yield from _top_level(statement.items)
        elif isinstance(statement, ClassDef):
            yield from statement.decorators
            yield from statement.base_type_exprs
            yield from _top_level(statement.defs.body)
        else:
            yield statement

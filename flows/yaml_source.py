"""Safe YAML reading that remembers where every value came from.

PyYAML's SafeLoader composes a node tree; we build plain Python values from it
ourselves so that every mapping key and list item keeps its `line:column`.
Two deliberate departures from YAML 1.1: only `true`/`false` are booleans (so a
choice id `no` stays the string "no"), and alias expansion is bounded so that a
"billion laughs" document is a load error, not an out-of-memory crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from flows.errors import ErrorCode, FlowError, Location

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_NODES = 200_000

Path = tuple[str | int, ...]


# libyaml's parser where PyYAML was built with it (about ten times faster: every process
# start reads the shipped flows), the pure-Python one otherwise
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FlowYamlLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2-style booleans."""


_FlowYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_FlowYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass
class YamlDocument:
    """Plain data plus the position of every path inside it."""

    file: str
    data: Any
    marks: dict[Path, Location] = field(default_factory=dict)
    key_marks: dict[Path, Location] = field(default_factory=dict)

    def locate_key(self, path: Path) -> Location:
        """Where the key of `path` is written (for unknown or misspelt keys)."""
        return self.key_marks.get(path) or self.locate(path)

    def locate(self, path: Path) -> Location:
        """The position of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found is not None:
                return found
        return Location(self.file, 1, 1)


def _mark(file: str, mark: yaml.Mark | None) -> Location:
    if mark is None:
        return Location(file, 1, 1)
    return Location(file, mark.line + 1, mark.column + 1)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes the document has once every alias is expanded (computed in linear time)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once instead of looping forever
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    size = min(size, MAX_NODES + 1)
    memo[id(node)] = size
    return size


class _Builder:
    def __init__(self, file: str, loader: _FlowYamlLoader) -> None:
        self.doc = YamlDocument(file, None)
        self.loader = loader
        self.active: set[int] = set()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.marks.setdefault(path, _mark(self.doc.file, node.start_mark))
        if id(node) in self.active:
            raise _Fail(ErrorCode.YAML_TOO_COMPLEX, node, "a recursive alias", "a tree")
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        raise _Fail(ErrorCode.YAML_SYNTAX, node, "an unsupported YAML node", "plain YAML")

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise _Fail(ErrorCode.WRONG_TYPE, key_node, f"key {key!r}", "a text key")
            key = str(key)
            if key in result:
                raise _Fail(
                    ErrorCode.DUPLICATE_KEY, key_node, f"key {key!r} appears twice", "unique keys"
                )
            self.doc.key_marks[(*path, key)] = _mark(self.doc.file, key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        return result


class _Fail(Exception):
    def __init__(self, code: ErrorCode, node: yaml.Node, problem: str, expected: str) -> None:
        self.code, self.node, self.problem, self.expected = code, node, problem, expected


def read_yaml(text: str | bytes, file: str) -> YamlDocument:
    """Parse one YAML document; raise `list[FlowError]` wrapped in `YamlErrors` on failure."""
    decoded = _decoded(text, file)
    loader = _loader(decoded, file)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(file, None)
        if _expanded_size(node, {}) > MAX_NODES:
            raise _Fail(
                ErrorCode.YAML_TOO_COMPLEX,
                node,
                "the document expands to too many values (aliases nested too deep?)",
                f"at most {MAX_NODES:,} values after alias expansion",
            )
        builder = _Builder(file, loader)
        builder.doc.data = builder.build(node, ())
        return builder.doc
    except _Fail as fail:
        raise _errors(fail.code, _mark(file, fail.node.start_mark), fail.problem,
                      fail.expected) from None
    except yaml.reader.ReaderError:
        raise _control_character(decoded, file) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise _errors(ErrorCode.YAML_SYNTAX, _mark(file, mark), problem, "valid YAML") from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise _errors(ErrorCode.YAML_SYNTAX, Location(file, 1, 1), str(exc)[:200],
                      "valid YAML") from None
    finally:
        loader.dispose()


def _errors(code: ErrorCode, where: Location, problem: str, expected: str) -> YamlErrors:
    return YamlErrors([FlowError(code, where, problem, expected)])


def _decoded(text: str | bytes, file: str) -> str:
    """The file's text: within the size limit, and UTF-8 (a byte-order mark allowed)."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_FILE_BYTES:
        raise _errors(ErrorCode.FILE_TOO_LARGE, Location(file, 1, 1),
                      f"the file is {size:,} bytes",
                      f"at most {MAX_FILE_BYTES:,} bytes per flow file (split it into several "
                      "files)")
    if isinstance(text, str):
        return text
    try:
        return text.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _errors(ErrorCode.FILE_UNREADABLE, Location(file, 1, 1),
                      f"the file is not valid UTF-8 ({exc.reason} at byte {exc.start})",
                      "a UTF-8 text file") from None


def _loader(text: str, file: str) -> _FlowYamlLoader:
    try:
        return _FlowYamlLoader(text)
    except yaml.reader.ReaderError:
        raise _control_character(text, file) from None


def _control_character(text: str, file: str) -> YamlErrors:
    """Where the first character YAML refuses is (libyaml finds it while parsing, the
    pure-Python reader before; either way the message points at it)."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found is None:
        return _errors(ErrorCode.YAML_SYNTAX, Location(file, 1, 1),
                       "a character YAML does not allow", "printable text")
    before = text[: found.start()]
    where = Location(file, before.count("\n") + 1, len(before) - before.rfind("\n"))
    return _errors(ErrorCode.YAML_SYNTAX, where,
                   f"the control character U+{ord(found.group()[0]):04X} is not allowed",
                   "printable text (remove the character)")


class YamlErrors(Exception):
    def __init__(self, errors: list[FlowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

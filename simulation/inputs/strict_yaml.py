"""Reading YAML safely: syntax errors become :class:`InputError` naming the line.

The loader also refuses duplicate keys (YAML would silently keep the last one, so a typo'd
scenario would run with a value the author did not mean).

Files are parsed with libyaml when PyYAML has it (about seven times faster: the shipped catalogue
is read on every scenario load); a file libyaml refuses is parsed again by the pure-Python loader,
whose messages users see, so errors read the same with or without libyaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulation.inputs.errors import InputError, read_input_text


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys."""


class _DuplicateKeyError(yaml.constructor.ConstructorError):
    """A key repeated in one mapping: valid syntax, so it gets its own message and fix."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark) from exc
        if key in mapping:
            raise _DuplicateKeyError(
                "while constructing a mapping", node.start_mark,
                f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

if getattr(yaml, "__with_libyaml__", False):
    class _FastStrictLoader(yaml.CSafeLoader):
        """libyaml counterpart of :class:`_StrictLoader`, used first."""

    _FastStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
else:
    _FastStrictLoader = None


# Values a document may hold once its aliases are expanded: assumption, far above any real
# scenario or catalogue (the largest shipped file, resources.yaml, holds about 2,400) and far below what a
# "billion laughs" document of nested aliases expands to, which would otherwise hang validation.
MAX_EXPANDED_VALUES = 1_000_000


class _TooLargeError(Exception):
    """A document whose aliases expand beyond :data:`MAX_EXPANDED_VALUES` values."""


def _expanded_size(root: yaml.Node) -> int:
    """Values of the document with every alias written out, counted without expanding anything
    (an alias is the same node object as its anchor, so each node's size is computed once)."""
    size: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        if isinstance(node, yaml.ScalarNode):
            size[id(node)] = 1
            continue
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        if children_done:
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            if size[id(node)] > MAX_EXPANDED_VALUES:
                raise _TooLargeError
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)]


def _load(text: str, loader_class) -> Any:
    """``yaml.load`` with the expanded size checked between composing and constructing."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing file or bad syntax raises :class:`InputError`."""
    path = Path(path)
    return parse_yaml(read_input_text(path, "a .yaml file", "UTF-8 text"), path)


def parse_yaml(text: str, path: str | Path) -> Any:
    """Parse YAML text that came from ``path`` (used in error messages)."""
    try:
        return _parse(text, path)
    except _TooLargeError:
        raise InputError.single(path, "", f"the document expands to more than {MAX_EXPANDED_VALUES:,} values "
                                "through its aliases (*name)", "write the repeated parts out, or nest fewer "
                                "aliases inside aliases") from None


def _parse(text: str, path: str | Path) -> Any:
    if _FastStrictLoader is not None:
        try:
            return _load(text, _FastStrictLoader)
        except (yaml.YAMLError, RecursionError):
            pass  # parsed again below for the pure-Python loader's message
    try:
        return _load(text, _StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        if isinstance(exc, _DuplicateKeyError):
            message = f"{problem} at {where}: it already appears above in the same mapping"
            raise InputError.single(path, "", message, "keep only one of the two entries") from None
        context = exc.context_mark
        if exc.problem and exc.context and context and mark and context.line != mark.line:
            # An unclosed bracket is detected lines later; name the line where it was opened too.
            problem += f" ({exc.context} at line {context.line + 1})"
        raise InputError.single(path, "", f"YAML syntax error at {where}: {problem}",
                                "fix the YAML syntax there (indentation, colons, quotes)") from None
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1 if isinstance(exc.position, int) else "?"
        raise InputError.single(path, "", f"control character #x{exc.character:04x} at line {line}",
                                "remove it; save the file as plain UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise InputError.single(path, "", f"YAML error: {exc}", "fix the YAML syntax") from None
    except RecursionError:
        raise InputError.single(path, "", "YAML nesting too deep", "flatten the document") from None

"""Reading YAML safely: syntax errors become :class:`InputError` naming the line.

The loader also refuses duplicate keys (YAML would silently keep the last one, so a typo'd
scenario would run with a value the author did not mean), every one of a file at once. Merge keys
(``<<: *anchor``) follow the YAML 1.1 merge rules: the keys of the merged mapping(s) come first, the
mapping's own keys override them, and of several merged mappings (``<<: [*a, *b]``) the earlier
overrides the later; only a key written twice in the mapping itself is a duplicate.

Files are parsed with libyaml when PyYAML has it (about seven times faster: the shipped catalogue
is read on every scenario load); a file libyaml refuses is parsed again by the pure-Python loader,
whose messages users see, so errors read the same with or without libyaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulation.inputs.bounds import MAX_YAML_BYTES
from simulation.inputs.errors import InputError, Problem, read_input_text

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys."""


class _DuplicateKeys(Exception):
    """Keys repeated in one mapping, each as ``(key, line, column)`` (from 0): valid syntax, so they
    get their own message and fix, every one of the document at once."""

    def __init__(self, keys: list[tuple[Any, int, int]]):
        super().__init__(keys)
        self.keys = keys


def _merged(loader: _StrictLoader, node: yaml.MappingNode, value_node: yaml.Node, deep: bool) -> dict:
    """The pairs a merge key brings in: one mapping, or a list of mappings of which the earlier
    overrides the later (YAML 1.1 merge key type)."""
    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    merged: dict[Any, Any] = {}
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"expected a mapping or list of mappings for merging, but found {source.id}", source.start_mark)
        for key, value in loader.construct_object(source, deep=deep).items():
            merged.setdefault(key, value)
    return merged


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    """A mapping whose own keys are unique (repeats are collected on ``loader.duplicate_keys``), over
    the pairs its merge key brings in."""
    merged: dict[Any, Any] = {}
    mapping: dict[Any, Any] = {}
    merges = 0
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            merges += 1
            if merges > 1:
                loader.duplicate_keys.append(("<<", key_node.start_mark.line, key_node.start_mark.column))
            merged.update({k: v for k, v in _merged(loader, node, value_node, deep).items() if k not in merged})
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError as exc:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                "found an unhashable key", key_node.start_mark) from exc
        if key in mapping:
            loader.duplicate_keys.append((key, key_node.start_mark.line, key_node.start_mark.column))
            continue
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return {**merged, **mapping} if merged else mapping


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
    loader.duplicate_keys = []
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        document = loader.construct_document(node)
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        raise _DuplicateKeys(loader.duplicate_keys)
    return document


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; a missing file, one that is not a regular file, one beyond
    :data:`~simulation.inputs.bounds.MAX_YAML_BYTES` or bad syntax raises :class:`InputError`."""
    path = Path(path)
    return parse_yaml(read_input_text(path, "a .yaml file", "UTF-8 text", MAX_YAML_BYTES), path)


def parse_yaml(text: str, path: str | Path) -> Any:
    """Parse YAML text that came from ``path`` (used in error messages)."""
    try:
        return _parse(text, path)
    except _DuplicateKeys as exc:
        raise InputError([Problem(str(path), "", f"duplicate key {key!r} at line {line + 1}, column {column + 1}: "
                                  "it already appears above in the same mapping", "keep only one of the two entries")
                          for key, line, column in exc.keys]) from None
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

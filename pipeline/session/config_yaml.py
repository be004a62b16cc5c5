"""Reading a config's YAML with limits, so a hostile or broken file costs a clear error, not minutes and
gigabytes: size, nesting depth, values after alias expansion ("billion laughs"), and duplicate keys (which YAML
would otherwise resolve silently, last one wins)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: a config is a page of text
MAX_DEPTH = 64
MAX_EXPANDED_VALUES = 100_000  # every value counted once per place it appears after alias expansion


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(
                    None,
                    None,
                    f"nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            try:
                key = self.construct_object(key_node, deep=True)
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """How many values ``node`` stands for once every alias is expanded (each shared node counted once per use,
    computed once per node)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a (malformed) cycle counts once
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(item, memo) for item in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    size = min(size, MAX_EXPANDED_VALUES + 1)
    memo[id(node)] = size
    return size


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the limits above; each limit broken is a ``yaml.YAMLError`` with a clear
    ``problem``."""
    if len(text) > MAX_CONFIG_BYTES:
        raise yaml.YAMLError(f"the config is larger than {MAX_CONFIG_BYTES >> 10} KiB")
    loader = _BoundedLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", None) from None
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_EXPANDED_VALUES:
            raise ComposerError(
                None, None, f"expands to more than {MAX_EXPANDED_VALUES} values (YAML aliases)", None
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()

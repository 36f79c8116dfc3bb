"""Load user YAML into pydantic models, with errors that name the file, the key and the line.

Users edit sources.yaml, topics.yaml and alerts.yaml by hand; a misspelt key or a bad value must
point at the line to fix, not at a Python traceback. PyYAML's composer keeps each node's position,
so we walk the node tree once and remember the line of every key path; pydantic's error locations
are then translated back to ``file:line``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

LinePath = tuple[Any, ...]


class ConfigError(Exception):
    """A user configuration problem; the message is meant to be shown as is, on one line."""


# A sources or topics file is small; these bound what a hostile one costs. Aliases (*name) reuse
# a node, so a few lines of them can expand to billions ("billion laughs"): the expansion, not
# the text, is what is counted.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 100_000


def _construct(node: yaml.Node, path: LinePath, lines: dict[LinePath, int], budget: list[int] | None = None) -> Any:
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"{node.start_mark.line + 1}: more than {MAX_NODES} values once aliases are "
                          "expanded (an alias bomb?): refused")
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if not isinstance(key_node, yaml.ScalarNode) else _scalar(key_node)
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, budget)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, budget) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    constructor = yaml.SafeLoader(" ")
    try:
        return constructor.construct_object(node, deep=True)
    finally:
        constructor.dispose()


def load_yaml(path: str | Path) -> tuple[Any, dict[LinePath, int]]:
    """Parse a YAML file into plain data plus a map from key path to 1-based line number."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{p}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: refused (not a config file?)")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return parse_yaml(text, str(p))


def parse_yaml(text: str, name: str = "<string>") -> tuple[Any, dict[LinePath, int]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    if node is None:
        return None, {}
    lines: dict[LinePath, int] = {}
    try:
        return _construct(node, (), lines), lines
    except ConfigError as exc:
        raise ConfigError(f"{name}:{exc}") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply: refused") from None


def line_for(lines: dict[LinePath, int], loc: LinePath) -> int | None:
    """The line of the deepest known prefix of ``loc`` (an unknown key has no line of its own)."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def validation_message(exc: ValidationError, name: str, lines: dict[LinePath, int], data: Any = None) -> str:
    """One line per problem, each ``file:line: key.path: message`` (the first problem first)."""
    parts = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        line = line_for(lines, loc)
        where = f"{name}:{line}" if line else name
        label = _describe(loc, data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (misspelt?)"
        parts.append(f"{where}: {label}: {msg}" if label else f"{where}: {msg}")
    return "; ".join(parts)


def _describe(loc: LinePath, data: Any) -> str:
    """Render a location as ``sources[name=hespress-ar].feeds[0]`` so the user can find it."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    label = f"[{node['name']}]"
            else:
                node = None
            out += label
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def load_model(path: str | Path, model: type[M]) -> M:
    """Read ``path`` and validate it as ``model``; any problem becomes one ConfigError line."""
    data, lines = load_yaml(path)
    return validate(data, lines, model, str(path))


def validate(data: Any, lines: dict[LinePath, int], model: type[M], name: str) -> M:
    if data is None:
        raise ConfigError(f"{name}: file is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, name, lines, data)) from None

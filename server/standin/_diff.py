"""Comparing two specs (the saved one, a live app's): what a client's author must update,
one line each, naming the endpoint and the field:

    /hello: parameter 2 renamed: is_morning → morning
    /hello: parameter temperature retyped: Slider (number) → Textbox (string)
    /stream: streaming switched off
"""

from __future__ import annotations

import json
from typing import Any

from ._generate import is_file_schema
from ._spec import EndpointSpec, InputSpec, OutputSpec, Spec

__all__ = ["diff_specs"]


def diff_specs(old: Spec, new: Spec) -> list[str]:
    """What changed from ``old`` to ``new``; empty when their APIs are the same."""
    lines: list[str] = []
    new_names = {e.api_name for e in new.endpoints}
    old_names = {e.api_name for e in old.endpoints}
    for endpoint in old.endpoints:
        if endpoint.api_name not in new_names:
            lines.append(f"{endpoint.api_name}: endpoint removed")
    for endpoint in new.endpoints:
        if endpoint.api_name not in old_names:
            lines.append(f"{endpoint.api_name}: endpoint added ({_signature(endpoint)})")
    kept = [e.api_name for e in old.endpoints if e.api_name in new_names]
    now = [e.api_name for e in new.endpoints if e.api_name in old_names]
    if kept != now:  # clients that call by fn_index call something else
        lines.append(f"endpoints reordered (fn_index order): {', '.join(now)}")
    for endpoint in old.endpoints:
        other = new.endpoint(endpoint.api_name)
        if other is not None:
            lines.extend(f"{endpoint.api_name}: {line}" for line in _endpoint(endpoint, other))
    return lines


def _signature(endpoint: EndpointSpec) -> str:
    return ", ".join(f"{p.name}: {p.component}" for p in endpoint.parameters) or "no parameters"


def _schema(info: dict[str, Any]) -> Any:
    """The value schema without its prose (descriptions change wording, not values)."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("description", "title")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(info.get("type"))


def _same_type(a_component: str, a: dict[str, Any], b_component: str, b: dict[str, Any]) -> bool:
    if a_component != b_component:
        return False
    if is_file_schema(a.get("type")) and is_file_schema(b.get("type")):
        return True  # FileData's own fields vary with the Gradio release, not with the app
    return bool(_schema(a) == _schema(b))


def _retyped(a_component: str, a: dict[str, Any], b_component: str, b: dict[str, Any]) -> str:
    """``Slider (number) → Textbox (string)``, or where the value schemas part."""
    old, new = _type(a_component, a), _type(b_component, b)
    if old != new:
        return f"{old} → {new}"
    where = _difference(_schema(a), _schema(b), "")
    return f"{old}, its value schema differs at {where or 'the top'}"


def _difference(a: Any, b: Any, path: str) -> str:
    """The first place (``items.properties.role``) where two schemas differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return _difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _difference(x, y, f"{path}[{n}]")
    return path


def _type(component: str, info: dict[str, Any]) -> str:
    schema = info.get("type")
    kind = schema.get("type") if isinstance(schema, dict) else None
    if is_file_schema(schema):
        kind = "file"
    return f"{component} ({kind})" if isinstance(kind, str) else component


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _endpoint(old: EndpointSpec, new: EndpointSpec) -> list[str]:
    lines = []
    if old.fn_index is not None and new.fn_index is not None and old.fn_index != new.fn_index:
        lines.append(f"fn_index changed: {old.fn_index} → {new.fn_index}")
    lines.extend(_parameters(old.parameters, new.parameters))
    lines.extend(_returns(old.returns, new.returns))
    if old.streams != new.streams:
        lines.append("streaming switched " + ("on" if new.streams else "off"))
    return lines


def _parameters(old: list[InputSpec], new: list[InputSpec]) -> list[str]:
    lines: list[str] = []
    old_names = [p.name for p in old]
    new_names = [p.name for p in new]
    pairs: list[tuple[InputSpec, InputSpec]] = []
    renamed: set[str | None] = set()
    for n, (a, b) in enumerate(zip(old, new), start=1):
        if a.name != b.name and a.name not in new_names and b.name not in old_names:
            lines.append(f"parameter {n} renamed: {a.name} → {b.name}")
            renamed.update((a.name, b.name))
            pairs.append((a, b))
    for a in old:
        if a.name in renamed:
            continue
        same = next((p for p in new if p.name == a.name), None)
        if same is None:
            lines.append(f"parameter {a.name} removed")
        else:
            pairs.append((a, same))
    for n, b in enumerate(new, start=1):
        if b.name not in old_names and b.name not in renamed:
            default = ""
            if _has_default(b):
                default = f", default {_json(b.info.get('parameter_default'))}"
            lines.append(
                f"parameter {b.name} added at position {n}: {_type(b.component, b.info)}{default}"
            )
    for a, b in pairs:
        name = b.name
        if not _same_type(a.component, a.info, b.component, b.info):
            lines.append(
                f"parameter {name} retyped: {_retyped(a.component, a.info, b.component, b.info)}"
            )
        old_default, new_default = a.info.get("parameter_default"), b.info.get("parameter_default")
        if _has_default(a) and not _has_default(b):
            lines.append(f"parameter {name} lost its default (was {_json(old_default)})")
        elif _has_default(b) and not _has_default(a):
            lines.append(f"parameter {name} given a default: {_json(new_default)}")
        elif _has_default(a) and old_default != new_default:
            lines.append(
                f"parameter {name} default changed: {_json(old_default)} → {_json(new_default)}"
            )
    if not lines and old_names != new_names:
        lines.append(f"parameters reordered: {', '.join(map(str, new_names))}")
    return lines


def _has_default(parameter: InputSpec) -> bool:
    return bool(parameter.info.get("parameter_has_default"))


def _returns(old: list[OutputSpec], new: list[OutputSpec]) -> list[str]:
    lines = []
    for n, (a, b) in enumerate(zip(old, new), start=1):
        if not _same_type(a.component, a.info, b.component, b.info):
            lines.append(
                f"output {n} retyped: {_retyped(a.component, a.info, b.component, b.info)}"
            )
    for n, b in enumerate(new[len(old) :], start=len(old) + 1):
        lines.append(f"output {n} added: {_type(b.component, b.info)}")
    for n, a in enumerate(old[len(new) :], start=len(new) + 1):
        lines.append(f"output {n} removed: {_type(a.component, a.info)}")
    return lines

"""Taking a spec from a live app: its ``/config`` and ``/info?all_endpoints=True``.

``/info`` words each endpoint's parameters and returns; ``/config`` adds what ``/info`` does
not say: the ``fn_index`` order (its ``dependencies``), which endpoints stream
(``types.generator``), the release, and the ``state`` inputs and outputs ``/info`` leaves out.
``spec_from_captures`` is the whole conversion, so saved captures make specs the same way.
"""

from __future__ import annotations

from typing import Any

import httpx

from ._spec import EndpointSpec, InputSpec, OutputSpec, Spec, SpecError

__all__ = ["SnapshotError", "fetch_api", "snapshot", "spec_from_captures"]

#: Per-entry fields of /info that depend on the host serving it, not on the API.
_HOST_FIELDS = ("code_snippets",)


class SnapshotError(SpecError):
    """The app could not be reached or did not answer as a Gradio app."""


def fetch_api(
    url: str, token: str | None = None, timeout: float = 30.0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``/config`` and ``/info`` of the app at ``url`` (Gradio 4's routes or 5/6's)."""
    root = url.rstrip("/")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(headers=headers, timeout=timeout, follow_redirects=True) as client:
        config = _get_json(client, f"{root}/config")
        prefix = config.get("api_prefix") or "" if isinstance(config, dict) else ""
        info = _get_json(client, f"{root}{prefix}/info?all_endpoints=True")
    if not isinstance(config, dict) or not isinstance(info, dict):
        raise SnapshotError(f"{url} did not answer /config and /info with JSON objects")
    return config, info


def _get_json(client: httpx.Client, url: str) -> Any:
    try:
        response = client.get(url)
    except httpx.HTTPError as error:
        raise SnapshotError(f"cannot reach {url}: {error}") from None
    if response.status_code != 200:
        hint = " (a private app: pass --token)" if response.status_code in (401, 403) else ""
        raise SnapshotError(f"{url} answered {response.status_code}{hint}")
    try:
        return response.json()
    except ValueError:
        raise SnapshotError(f"{url} did not answer JSON: is it a Gradio app?") from None


def snapshot(url: str, token: str | None = None) -> Spec:
    config, info = fetch_api(url, token)
    return spec_from_captures(config, info, source=url)


def spec_from_captures(
    config: dict[str, Any], info: dict[str, Any], source: str | None = None
) -> Spec:
    """The spec of the app whose ``/config`` and ``/info`` these are."""
    version = config.get("version")
    if not isinstance(version, str):
        raise SnapshotError('/config has no Gradio "version": is it a Gradio app?')
    components = {c.get("id"): c for c in config.get("components", []) if isinstance(c, dict)}
    named = info.get("named_endpoints", {})
    endpoints = []
    hidden: dict[int, str | None] = {}
    for position, dependency in enumerate(config.get("dependencies", [])):
        api_name = dependency.get("api_name")
        if not isinstance(api_name, str) or f"/{api_name}" not in named:
            # Not part of the API (an unnamed or hidden event), but it holds a fn_index.
            hidden[dependency.get("id", position)] = api_name if isinstance(api_name, str) else None
            continue
        entry = named[f"/{api_name}"]
        where = f"/{api_name}"
        inputs = _inputs(where, dependency["inputs"], components, entry.get("parameters", []))
        outputs = _outputs(where, dependency["outputs"], components, entry.get("returns", []))
        types = dependency.get("types") or {}
        endpoints.append(
            EndpointSpec(
                f"/{api_name}",
                bool(types.get("generator")),
                inputs,
                outputs,
                str(entry.get("description") or dependency.get("api_description") or ""),
                fn_index=dependency.get("id", position),
            )
        )
    title = config.get("title")
    title = title if isinstance(title, str) else "gradio-mock"
    return Spec(version, endpoints, title, source, hidden)


def _skipped(component: dict[str, Any]) -> bool:
    return bool(component.get("skip_api")) or component.get("type") == "state"


def _inputs(
    where: str, ids: list[int], components: dict[Any, Any], parameters: list[dict[str, Any]]
) -> list[InputSpec]:
    shown = iter(parameters)
    inputs = []
    for cid in ids:
        component = components.get(cid, {})
        kind = str(component.get("type", "component"))
        if _skipped(component):
            inputs.append(InputSpec({}, kind, state=True))
            continue
        parameter = next(shown, None)
        if parameter is None:
            raise SnapshotError(f"{where}: /config lists more inputs than /info's parameters")
        inputs.append(InputSpec(_clean(parameter), kind))
    return inputs


def _outputs(
    where: str, ids: list[int], components: dict[Any, Any], returns: list[dict[str, Any]]
) -> list[OutputSpec]:
    shown = iter(returns)
    outputs = []
    for cid in ids:
        component = components.get(cid, {})
        kind = str(component.get("type", "component"))
        if _skipped(component):
            outputs.append(OutputSpec({}, kind, state=True))
            continue
        returned = next(shown, None)
        if returned is None:
            raise SnapshotError(f"{where}: /config lists more outputs than /info's returns")
        outputs.append(OutputSpec(_clean(returned), kind))
    return outputs


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in _HOST_FIELDS}

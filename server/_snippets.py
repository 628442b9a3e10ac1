"""The "view API" code snippets Gradio 6 puts in ``/info``: how to call each endpoint
from Python, JavaScript and the shell, with its example inputs, for the address the reader
used."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["code_snippets"]


def _example(parameter: dict[str, Any]) -> Any:
    if parameter["parameter_has_default"]:
        return parameter["parameter_default"]
    return parameter["example_input"]


def _is_file(value: Any) -> bool:
    return isinstance(value, dict) and value.get("meta", {}).get("_type") == "gradio.FileData"


def _python(value: Any) -> str:
    if _is_file(value):
        return f"handle_file({json.dumps(value.get('url') or value.get('path'))})"
    if value is None or isinstance(value, bool):
        return repr(value)
    return json.dumps(value)


def _javascript(value: Any) -> str:
    if _is_file(value):
        return f"handle_file({json.dumps(value.get('url') or value.get('path'))})"
    return json.dumps(value)


def code_snippets(
    api_name: str, parameters: list[dict[str, Any]], root: str, prefix: str
) -> dict[str, str]:
    examples = {p["parameter_name"]: _example(p) for p in parameters}
    uses_files = any(_is_file(v) for v in examples.values())
    python_import = "Client, handle_file" if uses_files else "Client"
    python_args = "".join(f"\t{name}={_python(v)},\n" for name, v in examples.items())
    js_import = "Client, handle_file" if uses_files else "Client"
    js_args = "".join(f"\t\t{name}: {_javascript(v)},\n" for name, v in examples.items())
    body = json.dumps(examples)
    cli_args = {p["parameter_name"]: p["example_input"] for p in parameters}
    return {
        "python": (
            f"from gradio_client import {python_import}\n\n"
            f'client = Client("{root}")\n'
            f'result = client.predict(\n{python_args}\tapi_name="/{api_name}",\n)\n'
            "print(result)"
        ),
        "javascript": (
            f'import {{ {js_import} }} from "@gradio/client";\n\n'
            f'const client = await Client.connect("{root}");\n'
            f'const result = await client.predict("/{api_name}", {{\n{js_args}}});\n\n'
            "console.log(result.data);"
        ),
        "bash": (
            f"curl -X POST {root}{prefix}/call/v2/{api_name} -s "
            f'-H "Content-Type: application/json" \\\n'
            f"  -d '{body}' \\\n"
            "  | awk -F'\"' '{ print $4}' \\\n"
            f"  | read EVENT_ID; curl -N {root}{prefix}/call/{api_name}/$EVENT_ID"
        ),
        # `{command}` stays as is: Gradio leaves it for the reader to fill in.
        # The CLI line shows every parameter's example, defaults or not (as Gradio 6.31 does).
        "cli": f"{{command}} predict {root} /{api_name} '{json.dumps(cli_args, indent=2)}'\n",
    }

"""``gradio-mock snapshot`` and ``gradio-mock diff``: the subcommands of the stand-in.

Exit codes: 0 done (diff: the same API), 1 (diff) the APIs differ, 2 bad options, 3 the app
cannot be reached or the spec cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._diff import diff_specs
from ._snapshot import snapshot
from ._spec import Spec, SpecError, load_spec, save_spec

__all__ = ["EXIT_DIFFERENT", "SUBCOMMANDS", "diff_main", "snapshot_main"]

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


def _token_help() -> str:
    return "a token for a private app, sent as 'Authorization: Bearer TOKEN' (env HF_TOKEN)"


def snapshot_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gradio-mock snapshot",
        description="Save what defines a Gradio app's API (its /config and /info: endpoints, "
        "parameters, components, defaults, streaming, version) as a spec file that "
        "`gradio-mock SPEC.json` serves. Exit codes: 0 saved, 2 bad option, 3 unreachable.",
    )
    parser.add_argument("url", metavar="URL", help="the app's address, e.g. http://127.0.0.1:7860")
    parser.add_argument("-o", "--output", metavar="FILE", required=True, help="the spec to write")
    parser.add_argument("--token", default=os.environ.get("HF_TOKEN"), help=_token_help())
    args = parser.parse_args(argv)
    try:
        spec = snapshot(args.url, args.token or None)
        save_spec(spec, args.output)
    except SpecError as error:
        print(f"gradio-mock snapshot: error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except OSError as error:
        print(f"gradio-mock snapshot: error: cannot write {args.output}: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    streams = sum(e.streams for e in spec.endpoints)
    print(
        f"Saved {len(spec.endpoints)} endpoints of {args.url} (Gradio {spec.gradio_version}, "
        f"{streams} streaming) to {args.output}"
    )
    return EXIT_OK


def diff_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gradio-mock diff",
        description="Compare a saved spec with a live app's API (or another spec file) and "
        "list what changed, one line per change naming the endpoint and the field. "
        "Exit codes: 0 the same, 1 different (the list on stdout), 2 bad option, "
        "3 the app cannot be reached or a spec cannot be read.",
    )
    parser.add_argument("spec", metavar="SPEC", help="the saved spec (gradio-mock snapshot)")
    parser.add_argument("url", metavar="URL", help="the live app's address, or another spec")
    parser.add_argument("--token", default=os.environ.get("HF_TOKEN"), help=_token_help())
    args = parser.parse_args(argv)
    try:
        saved = load_spec(args.spec)
        live: Spec = (
            load_spec(args.url)
            if args.url.endswith(".json") and os.path.isfile(args.url)
            else snapshot(args.url, args.token or None)
        )
    except SpecError as error:
        print(f"gradio-mock diff: error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    lines = diff_specs(saved, live)
    if not lines:
        print(f"{args.url} has the API of {args.spec}")
        return EXIT_OK
    print(f"{args.url} differs from {args.spec}:")
    for line in lines:
        print(f"  {line}")
    return EXIT_DIFFERENT


#: ``gradio-mock NAME ...`` runs these instead of serving.
SUBCOMMANDS = {"snapshot": snapshot_main, "diff": diff_main}

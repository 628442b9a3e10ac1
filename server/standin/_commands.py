"""``gradio-mock snapshot``, ``gradio-mock diff`` and ``gradio-mock record``: the
subcommands of the stand-in.

Exit codes: 0 done (diff: the same API), 1 (diff) the APIs differ, 2 bad options, 3 the app
cannot be reached or the spec (cassette) cannot be read, 4 (record) cannot listen.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ._diff import diff_specs
from ._snapshot import snapshot
from ._spec import Spec, SpecError, load_spec, save_spec

__all__ = ["EXIT_DIFFERENT", "SUBCOMMANDS", "diff_main", "record_main", "snapshot_main"]

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_BIND = 0, 1, 2, 3, 4


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


RECORD_DESCRIPTION = """\
Record a real Gradio app's answers into a cassette that `gradio-mock CASSETTE.json` replays.

Runs a transparent proxy in front of UPSTREAM: point your client (gradio_client,
@gradio/client, curl) at the proxy's address instead of the app's, use it as usual, then stop
the proxy with Ctrl+C. Everything passes through unchanged (both route forms, /call and
/queue/join + /queue/data, uploads, /file= downloads, heartbeats), answers stream through as
they arrive, and the upstream's address in them is rewritten to the proxy's.

Each call that ends is written to the cassette at once (so Ctrl+C keeps every finished call):
its endpoint, its inputs, each event (estimation, progress, log, each streamed value, the
final value or the error) with the seconds since the call was made, and the files that went
each way, fetched from the upstream into CASSETTE.files/ by content hash. The upstream's API
(its snapshot, as `gradio-mock snapshot` takes it) goes in too. Recording into an existing
cassette adds to its recordings."""

RECORD_EPILOG = """\
examples:
  gradio-mock record http://127.0.0.1:7860 -o cassette.json --port 7861
  python my_client.py --url http://127.0.0.1:7861      # your client, through the proxy
  # Ctrl+C, then replay without the app:
  gradio-mock cassette.json --port 7860                # recorded timing
  gradio-mock cassette.json --speed 0                  # no waits
  gradio-mock cassette.json --record-missing http://127.0.0.1:7861/  # fetch what is missing

A replayed call matches a recording when its endpoint and inputs are the same (uploaded
files by their content's hash, not their temporary path); an unmatched call is answered an
error and journalled as unmatched with its nearest recordings (GET /__mock/requests/unmatched).
Exit codes: 0 stopped, 2 bad option, 3 UPSTREAM unreachable or the cassette unreadable,
4 cannot listen."""


def record_main(argv: Sequence[str]) -> int:
    from ._record import run_recorder

    parser = argparse.ArgumentParser(
        prog="gradio-mock record",
        description=RECORD_DESCRIPTION,
        epilog=RECORD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "upstream", metavar="UPSTREAM", help="the real app's address, e.g. http://127.0.0.1:7860"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="CASSETTE",
        required=True,
        help="the cassette to write (its files go in CASSETTE.files/ beside it, without the "
        ".json: cassette.json keeps them in cassette.files/)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the proxy's address (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=7861,
        help="the proxy's port, 0 for any free one (default %(default)s)",
    )
    parser.add_argument("--token", default=os.environ.get("HF_TOKEN"), help=_token_help())
    parser.add_argument(
        "--no-access-log", action="store_true", help="do not log a line per request"
    )
    args = parser.parse_args(argv)
    return run_recorder(
        args.upstream,
        args.output,
        host=args.host,
        port=args.port,
        token=args.token or None,
        access_log=not args.no_access_log,
    )


#: ``gradio-mock NAME ...`` runs these instead of serving.
SUBCOMMANDS = {"snapshot": snapshot_main, "diff": diff_main, "record": record_main}

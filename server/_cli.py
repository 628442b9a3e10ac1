"""The ``gradio-mock`` command: parse options, load the app, print a banner, serve.

Exit codes: 0 after a clean stop, 2 for bad options, 3 when TARGET (or the --stubs file)
cannot be loaded, 4 when the address cannot be bound, 5 when the --store cannot be reached.
``gradio-mock snapshot`` and ``gradio-mock diff`` are subcommands
(``server/standin/_commands.py``), dispatched first.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from fastapi import FastAPI

from . import __version__
from ._app import App
from ._cache import DEFAULT_CACHE_BYTES, DEFAULT_MAX_RESULT_SIZE
from ._exceptions import DefinitionError, TargetError
from ._loader import DEFAULT_TARGET, load_app
from ._processing import describe_inputs
from ._runner import bind, make_server, serve_in_foreground, serve_workers
from ._schema import GRADIO_VERSIONS
from ._server import ServerState, Settings, create_app
from .mock._stubs import StubError, load_stub_file
from .standin import SpecApp, SpecError
from .standin._commands import SUBCOMMANDS
from .standin._hub import (
    HubError,
    Space,
    SpacesApp,
    banner_lines,
    serve_spaces,
    space_option,
    stage_option,
)
from .standin._replay import ReplayApp
from .standin._spec import read_json
from .store import check_store, where

__all__ = ["main"]

EXIT_OK, EXIT_USAGE, EXIT_TARGET, EXIT_BIND, EXIT_STORE = 0, 2, 3, 4, 5

DESCRIPTION = """\
Serve plain Python functions over Gradio's HTTP API, as a local stand-in for a Gradio app
or Hugging Face Space. Call it with curl, gradio_client or @gradio/client.

Without TARGET, the bundled demos are served: /predict, /hello, /stream, /image, /chat."""

EPILOG = """\
examples:
  gradio-mock                              serve the demos on http://127.0.0.1:7860
  gradio-mock my_app.py --port 8000        serve the App defined in my_app.py
  gradio-mock pkg.module:app --token s3cr  serve pkg.module's `app`, token required
  gradio-mock snapshot URL -o app.json     save a live app's API as a spec (--help for more)
  gradio-mock app.json --seed 1            serve a spec: the same API, generated answers
  gradio-mock diff app.json URL            list what changed in a live app's API (exit 1)
  gradio-mock app.json --space owner/name  answer Client("owner/name") (HF_ENDPOINT=this URL)
  gradio-mock record URL -o cassette.json  record a live app's answers through a proxy
  gradio-mock cassette.json --speed 0      replay them (--record-missing URL for the rest)

  curl -X POST http://127.0.0.1:7860/gradio_api/call/predict \\
       -H 'Content-Type: application/json' -d '{"data": ["Hello, my friend."]}'
  curl -N http://127.0.0.1:7860/gradio_api/call/predict/EVENT_ID

The API is served both at the root (Gradio 4 form, /call/...) and under /gradio_api
(Gradio 5 and 6). Exit codes: 0 stopped, 2 bad option, 3 bad TARGET, 4 cannot bind,
5 --store unreachable.

  gradio-mock --store redis://127.0.0.1:6379/0 --workers 4
                                           four processes on one port, sharing one Redis"""


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def _positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535 (0: any free port), not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradio-mock",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "target",
        nargs="?",
        default=DEFAULT_TARGET,
        metavar="TARGET",
        help="the app to serve: a .py file or module:attribute holding a server.App, "
        "or a spec file (.json, from `gradio-mock snapshot`) (default: the bundled demos)",
    )
    parser.add_argument(
        "--seed",
        type=_whole,
        metavar="N",
        default=0,
        help="a spec's generated answers: the same seed and inputs give the same outputs "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--space",
        type=space_option,
        action="append",
        default=[],
        metavar="OWNER/NAME[=TARGET]",
        help="answer for this Hugging Face Space name (the Hub API clients ask first; point "
        "them here with HF_ENDPOINT): OWNER/NAME for TARGET, OWNER/NAME=TARGET2 to serve "
        "TARGET2 under /spaces/OWNER/NAME/ as well (repeatable; default: a spec's own "
        '"space")',
    )
    parser.add_argument(
        "--space-stage",
        type=stage_option,
        action="append",
        default=[],
        metavar="[OWNER/NAME=]STAGE[:SECONDS]",
        help="the Space's stage on the Hub: RUNNING, BUILDING, SLEEPING, PAUSED, "
        "RUNTIME_ERROR, BUILD_ERROR, ...; with :SECONDS, RUNNING after that long "
        "(repeatable; without OWNER/NAME, every Space; default RUNNING)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        metavar="X",
        default=1.0,
        help="a cassette's replay (from `gradio-mock record`): its recorded delays divided by "
        "X, 2 twice as fast, 0 no waits (default %(default)s: as recorded)",
    )
    parser.add_argument(
        "--record-missing",
        metavar="UPSTREAM",
        help="a cassette's replay: a call no recording matches is made to UPSTREAM instead, "
        "and its answer appended to the cassette (default: answered an error, journalled "
        "as unmatched with its nearest recordings)",
    )
    parser.add_argument(
        "--host",
        default=_env("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to listen on; 0.0.0.0 for every interface "
        "(env GRADIO_SERVER_NAME; default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=_env("GRADIO_SERVER_PORT", "7860"),
        help="port to listen on, 0 for any free one (env GRADIO_SERVER_PORT; default %(default)s)",
    )
    parser.add_argument(
        "--heartbeat",
        type=_positive_float,
        metavar="SECONDS",
        default=_env("GRADIO_HEARTBEAT_INTERVAL", "15"),
        help="seconds between heartbeat events on an idle stream "
        "(env GRADIO_HEARTBEAT_INTERVAL; default %(default)s)",
    )
    parser.add_argument(
        "--cache-size",
        type=_positive_int,
        metavar="N",
        default=2000,
        help="finished results kept for reading (and re-reading); the least recently used "
        "goes first, running jobs are never evicted (default %(default)s)",
    )
    # -- memory bounds (results and sessions) --
    parser.add_argument(
        "--cache-bytes",
        type=_positive_int,
        metavar="BYTES",
        default=DEFAULT_CACHE_BYTES,
        help="bytes all stored results may take together, counted as their JSON; past it the "
        "least recently used finished results are evicted (default %(default)s: 256 MiB)",
    )
    parser.add_argument(
        "--max-result-size",
        type=_positive_int,
        metavar="BYTES",
        default=DEFAULT_MAX_RESULT_SIZE,
        help="bytes one job may keep: a larger output ends the call with an error, and a "
        "generator's oldest values are dropped past it (default %(default)s: 64 MiB)",
    )
    parser.add_argument(
        "--max-sessions",
        type=_positive_int,
        metavar="N",
        default=10_000,
        help="sessions kept (state and undelivered jobs); past it the least recently used is "
        "forgotten (default %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("GRADIO_MOCK_TOKEN"),
        help="require 'Authorization: Bearer TOKEN' (or X-HF-Authorization) on every "
        "request, like a private Space (env GRADIO_MOCK_TOKEN; default: open)",
    )
    parser.add_argument(
        "--allow-url-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let URL inputs be fetched from HOST even though it resolves to a private or "
        "loopback address (repeatable; default: public addresses only)",
    )
    parser.add_argument(
        "--show-error",
        action="store_true",
        help="send the message of unexpected exceptions to clients (default: hidden, "
        "as Gradio's show_error=False; errors raised with server.Error are always shown)",
    )
    parser.add_argument(
        "--root-path",
        default=_env("GRADIO_ROOT_PATH", ""),
        metavar="PATH",
        help="path prefix when served behind a reverse proxy, e.g. /myapp; used in the URLs "
        "handed to clients (env GRADIO_ROOT_PATH; default: none)",
    )
    parser.add_argument(
        "--gradio-version",
        type=int,
        choices=sorted(GRADIO_VERSIONS),
        default=6,
        help="the Gradio major version /config announces: 4 puts the API at the root, "
        "5 and 6 under /gradio_api (both forms are always served; default %(default)s, "
        "or a spec's own)",
    )
    parser.add_argument(
        "--faithful",
        action="store_true",
        default=os.environ.get("GRADIO_MOCK_FAITHFUL", "") not in ("", "0"),
        help="behave as the chosen --gradio-version does where gradio-mock is kinder, warts "
        "included: its route forms, 500s, silent drops, re-reads that hang, its cancel "
        "(see README, 'How gradio-mock differs'; env GRADIO_MOCK_FAITHFUL=1)",
    )
    parser.add_argument(
        "--max-file-size",
        type=_positive_int,
        metavar="BYTES",
        default=100 * 1024 * 1024,
        help="largest upload or fetched URL input (default %(default)s)",
    )
    parser.add_argument(
        "--thread-pool-size",
        type=_positive_int,
        metavar="N",
        default=40,
        help="threads shared by sync functions without a concurrency limit and by sync "
        "generators; a cancelled sync function keeps its thread until it returns "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--max-body-size",
        type=_positive_int,
        metavar="BYTES",
        default=None,
        help="largest request body; a larger one is refused with 413 as soon as its "
        "Content-Length or its bytes pass the limit (default: 16 MiB plus a data: URL of "
        "--max-file-size, 16 MiB + 4/3 of it)",
    )
    parser.add_argument(
        "--keep-alive-timeout",
        type=_positive_float,
        metavar="SECONDS",
        default=5.0,
        help="close a connection idle (no request) for this long, a new one included; "
        "checked every quarter of it, at most a second apart (default %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_positive_float,
        metavar="SECONDS",
        default=60.0,
        help="a request's headers and body must arrive within this many seconds, or it is "
        "answered 408 and its connection closed; checked every quarter of it, at most a "
        "second apart (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        metavar="N",
        default=1000,
        help="connections served at once; a request on one more is answered 503 and its "
        "connection closed (default %(default)s)",
    )
    parser.add_argument(
        "--shutdown-timeout",
        type=_positive_float,
        metavar="SECONDS",
        default=5.0,
        help="on SIGINT or SIGTERM, every stream ends at once with a final event; the "
        "process then exits 0 within this many seconds, without waiting longer for sync "
        "functions still running; a second signal exits at once (default %(default)s)",
    )
    parser.add_argument(
        "--no-access-log", action="store_true", help="do not log a line per request"
    )
    parser.add_argument(
        "--stubs",
        metavar="FILE",
        help="a JSON file holding a list of stubs (the objects POST /__mock/stubs takes), "
        "in force from the start: set up a CI job's answers without a line of Python",
    )
    parser.add_argument(
        "--journal-size",
        type=_non_negative_int,
        metavar="N",
        default=10_000,
        help="requests kept in the request journal (GET /__mock/requests), newest last; "
        "0 journals nothing (default %(default)s)",
    )
    shared = parser.add_argument_group(
        "scale-out",
        "Several processes, on one host or many, serving one app as one: any process answers "
        "for any job, result, session or file (see README, 'Scale out').",
    )
    shared.add_argument(
        "--store",
        metavar="URL",
        default=os.environ.get("GRADIO_MOCK_STORE") or None,
        help="redis://[:PASSWORD@]HOST:PORT/DB (or rediss:// for TLS): share jobs, results, "
        "sessions and the queue bound with every process using the same store "
        "(env GRADIO_MOCK_STORE; default: everything in this process)",
    )
    shared.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        default=1,
        help="run N processes on the same port (needs --store); Ctrl+C stops them all "
        "(default %(default)s)",
    )
    shared.add_argument(
        "--lease-timeout",
        type=_positive_float,
        metavar="SECONDS",
        default=5.0,
        help="with --store: a process silent this long has its running jobs declared lost, "
        "and their readers on every process get an error event (default %(default)s)",
    )
    shared.add_argument(
        "--temp-dir",
        metavar="DIR",
        default=os.environ.get("GRADIO_TEMP_DIR") or None,
        help="where uploads and output files are kept (env GRADIO_TEMP_DIR); with --store "
        "every process serves the files any of them stored there, so processes on several "
        "hosts need one folder they all mount (default: a private temp folder, or with "
        "--store one folder per app on this host)",
    )
    parser.add_argument("--version", action="version", version=f"gradio-mock {__version__}")
    return parser


def load_stubs(state: ServerState, path: str) -> None:
    definitions = read_json(path, "stubs file", StubError)
    if not isinstance(definitions, list):
        raise StubError(f"the stubs file {path} must hold a JSON list of stub objects")
    load_stub_file(state.app, state.stubs, definitions, path)
    state.file_stubs = definitions


def banner(app: App, settings: Settings, url: str, prefix: str, version: str) -> str:
    lines = [
        f"gradio-mock {__version__}: {app.title!r}, speaking Gradio {version}'s API",
        f"Running on {url}  (API at {url}{prefix}/call/<api_name>, also at the root)",
    ]
    for endpoint in app.endpoints:
        if endpoint.hidden:
            continue
        kind = "  streams" if endpoint.is_generator else ""
        lines.append(f"  /{endpoint.api_name:<12} {describe_inputs(endpoint)}{kind}")
    if settings.token:
        lines.append("Token required: send 'Authorization: Bearer <token>'.")
    if settings.store:
        lines.append(f"Shared store: {where(settings.store)} (jobs, results, sessions, queue).")
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def _given(arguments: list[str], option: str) -> bool:
    """Whether ``option`` is on the command line (argparse takes any unique prefix of it)."""
    return any(len(a.split("=")[0]) > 2 and option.startswith(a.split("=")[0]) for a in arguments)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS:
        return SUBCOMMANDS[arguments[0]](arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
    try:
        app = load_app(args.target, seed=args.seed)
    except (TargetError, DefinitionError, SpecError) as error:
        print(f"gradio-mock: error: {error}", file=sys.stderr)
        return EXIT_TARGET
    if isinstance(app, ReplayApp):
        try:
            app.configure(args.speed, args.record_missing)
        except SpecError as error:
            print(f"gradio-mock: error: {error}", file=sys.stderr)
            return EXIT_USAGE
    if isinstance(app, SpecApp) and not _given(arguments, "--gradio-version"):
        args.gradio_version = app.spec.major  # a spec is served as its own version
    settings = Settings(
        host=args.host,
        port=args.port,
        heartbeat=args.heartbeat,
        cache_size=args.cache_size,
        token=args.token or None,
        allow_url_hosts=tuple(args.allow_url_host),
        show_error=args.show_error,
        root_path=args.root_path,
        gradio_version=args.gradio_version,
        max_file_size=args.max_file_size,
        journal_size=args.journal_size,
        cache_bytes=args.cache_bytes,
        max_result_size=min(args.max_result_size, args.cache_bytes),
        max_sessions=args.max_sessions,
        thread_pool_size=args.thread_pool_size,
        max_body_size=args.max_body_size,
        shutdown_timeout=args.shutdown_timeout,
        keep_alive_timeout=args.keep_alive_timeout,
        request_timeout=args.request_timeout,
        max_connections=args.max_connections,
        faithful=args.faithful,
        store=args.store,
        lease_timeout=args.lease_timeout,
        workers=args.workers,
        temp_dir=args.temp_dir,
    )
    if settings.workers > 1 and not settings.store:
        message = "--workers needs --store (the processes share their jobs through it)"
        print(f"gradio-mock: error: {message}", file=sys.stderr)  # (one line: no usage)
        return EXIT_USAGE
    spaces = args.space or (isinstance(app, SpecApp) and app.spec.space)
    if args.space_stage and not spaces:
        parser.error('--space-stage needs a --space (or a spec with a "space")')
    if spaces and settings.workers > 1:
        message = "--space serves one process: a Space's stage is kept in it (no --workers)"
        print(f"gradio-mock: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    if settings.store:
        problem = check_store(settings.store)
        if problem is not None:
            print(f"gradio-mock: error: {problem}", file=sys.stderr)
            return EXIT_STORE
    # Every Space mounted (--space NAME=TARGET) and no TARGET: nothing at the root.
    mounts_only = bool(args.space) and all(s.target for s in args.space)
    root = None if mounts_only and args.target == DEFAULT_TARGET else app
    listed: list[tuple[Space, App]] = []

    def _mounted(target: str) -> App:  # a mounted cassette replays at --speed
        mounted = load_app(target, seed=args.seed)
        if isinstance(mounted, ReplayApp):
            mounted.configure(args.speed)
        return mounted

    def build() -> FastAPI | SpacesApp:
        nonlocal listed
        built: FastAPI | SpacesApp
        if spaces:  # the Hub API, and the apps mounted by --space NAME=TARGET
            version = args.gradio_version if _given(arguments, "--gradio-version") else None
            built, listed = serve_spaces(
                root,
                settings,
                args.space,
                args.space_stage,
                seed=args.seed,
                gradio_version=version,
                load=_mounted,
            )
        else:
            built = create_app(app, settings)
        if args.stubs:
            load_stubs(built.state.mock, args.stubs)
        return built

    try:
        asgi_app = build()
    except (DefinitionError, StubError, HubError, TargetError, SpecError) as error:
        print(f"gradio-mock: error: {error}", file=sys.stderr)
        return EXIT_TARGET
    try:
        sock = bind(settings.host, settings.port)
    except OSError as error:
        print(
            f"gradio-mock: error: cannot listen on {settings.host}:{settings.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_BIND
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    root_path = settings.root_path.strip("/")
    url = f"http://{host}:{port}{'/' + root_path if root_path else ''}"
    schema = asgi_app.state.mock.schema
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    text = banner(app, settings, url, schema.api_prefix, schema.version)
    if listed:  # the Spaces, and where each answers
        head = text.splitlines()[:-1] if root else [f"gradio-mock {__version__}: Spaces"]
        if not root:
            head.append(f"Running on {url}  (no app at the root; each under /spaces/)")
        text = "\n".join([*head, *banner_lines(listed, url), "Press Ctrl+C to stop."])
    print(text, flush=True)
    if settings.workers > 1:
        print(f"{settings.workers} worker processes share the store {where(settings.store)}.")
        return serve_workers(
            settings.workers,
            build,
            sock,
            access_log=not args.no_access_log,
        )
    server = make_server(asgi_app, access_log=not args.no_access_log)
    serve_in_foreground(server, sock, settings.shutdown_timeout)
    return EXIT_OK if server.started else EXIT_STORE

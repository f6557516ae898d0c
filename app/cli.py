"""The `gradwalk` command: serve the app, list presets, print a trace or a run's numpy script.

`trace` prints exactly the JSON the API serves for the same run (same encoder, same layout),
so a script can use either. No math here: every command calls the engine or the API layer.
`serve` runs uvicorn on its h11 parser with the request line and headers bounded in bytes and
every request bounded in time (`BoundedH11Protocol`): a huge or slow header cannot hold a
worker.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.api import present
from app.api.settings import Settings
from app.api.store import RunStore
from app.engine.core.errors import GradwalkError
from app.engine.core.spec import RunSpec
from app.engine.presets import PRESETS


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _params(pairs: list[str]) -> dict[str, int | float]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"gradwalk: --param wants NAME=VALUE, got {pair!r}")
        try:
            params[name.strip()] = _number(value.strip())
        except ValueError:
            raise SystemExit(f"gradwalk: --param {name}: {value!r} is not a number") from None
    return params


def _spec(args: argparse.Namespace) -> RunSpec:
    if (args.preset is None) == (args.source_file is None):
        raise SystemExit("gradwalk: give exactly one of --preset or --source-file")
    if args.param and not args.preset:
        raise SystemExit("gradwalk: --param sets a preset's parameters; it needs --preset")
    source = Path(args.source_file).read_text() if args.source_file else None
    return RunSpec(
        source=source,
        preset=args.preset,
        params=_params(args.param) or None,
        seed=args.seed,
        lr=args.lr,
        iterations=args.iterations,
    )


def _write(data: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


#: set to 1 (or pass `--access-log`) for uvicorn's line per request: off by default (it is
#: work on the event loop for every request; behind deploy/'s nginx, nginx can log them)
ACCESS_LOG_ENV = "GRADWALK_ACCESS_LOG"
#: seconds a client has to send a whole request (line, headers and body), from the moment
#: its connection opens or its previous response ends
REQUEST_TIMEOUT_ENV = "GRADWALK_REQUEST_TIMEOUT"
DEFAULT_REQUEST_TIMEOUT = 10.0
#: bytes of request line and headers beyond the longest run id a URL may carry
HEADER_BYTES_BEYOND_RUN_ID = 48 * 1024


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline per request: a client that has not sent its
    whole request `GRADWALK_REQUEST_TIMEOUT` seconds after its connection opened (or after
    its previous response) gets a 408 and the connection is closed. uvicorn itself waits
    forever for headers that never end (its keep-alive timeout covers idle connections only).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_timeout = float(os.environ.get(REQUEST_TIMEOUT_ENV,
                                                    DEFAULT_REQUEST_TIMEOUT))
        self.request_timer = None

    def _arm(self) -> None:
        self._disarm()
        self.request_timer = self.loop.call_later(self.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.request_timer is not None:
            self.request_timer.cancel()
            self.request_timer = None

    def _too_slow(self) -> None:
        self.request_timer = None
        if self.transport.is_closing():
            return
        if self.conn.our_state is h11.IDLE:  # nothing answered yet on this request: say why
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
                                 b"connection: close\r\n\r\n")
        self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR):
            self._disarm()  # the whole request is in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has its own deadline

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    os.environ[REQUEST_TIMEOUT_ENV] = str(args.request_timeout)  # read by every worker
    max_header_bytes = Settings().max_run_id_chars + HEADER_BYTES_BEYOND_RUN_ID
    # Facing clients, the worker bounds request heads and slow clients itself (h11 with a
    # deadline); behind the nginx of deploy/ the proxy bounds them and uvicorn's faster
    # httptools parser is used, sending each response whole (app/serving/wholeresponse.py: a worker
    # that dies mid-response leaves nginx nothing, so nginx retries on another worker).
    bounded = {"http": "app.serving.wholeresponse:WholeResponseHttpTools"} if args.behind_proxy else {
        "http": "app.cli:BoundedH11Protocol", "h11_max_incomplete_event_size": max_header_bytes}
    uvicorn.run(
        "app.main:create_app", factory=True, host=args.host, port=args.port,
        workers=args.workers, timeout_keep_alive=args.timeout_keep_alive, **bounded,
        access_log=args.access_log or os.environ.get(ACCESS_LOG_ENV, "") not in ("", "0"),
    )


def cmd_proxy_config(args: argparse.Namespace) -> None:
    from app.serving import proxy

    try:
        text = proxy.site(args.upstream, args.listen, args.cache_dir)
    except ValueError as error:
        raise SystemExit(f"gradwalk proxy-config: {error}") from None
    if args.standalone:
        text = proxy.standalone(text, args.standalone)
    _write(text.encode("utf-8"), args.out)


def cmd_presets(args: argparse.Namespace) -> None:
    for preset in PRESETS.values():
        params = " ".join(f"{p.name}={p.default}" for p in preset.params)
        print(f"{preset.id:28} {preset.title}" + (f"  [{params}]" if params else ""))


def cmd_trace(args: argparse.Namespace) -> None:
    store = RunStore(Settings())
    entry = store.create(_spec(args))
    if args.step is None:
        document = store.with_trace(entry.run_id, args.iteration,
                                    lambda trace: present.steps_document(args.iteration,
                                                                         trace.step_list))
    else:
        document = store.with_trace(entry.run_id, args.iteration,
                                    lambda trace: present.state_json(trace.state(args.step)))
    _write(present.encode_json(document) + b"\n", args.out)


def cmd_code(args: argparse.Namespace) -> None:
    store = RunStore(Settings())
    _write(store.create(_spec(args)).run.script().encode("utf-8"), args.out)


def cmd_html(args: argparse.Namespace) -> None:
    from app.web import onefile

    store = RunStore(Settings())
    if args.target in PRESETS:
        run_id = store.create(RunSpec(preset=args.target)).run_id
    else:
        run_id = args.target  # a run id: decoded and validated like the API's
    made = onefile.page(store, run_id, args.iterations, args.lecture)
    _write(made.html, args.out)
    if args.out:
        print(f"gradwalk: wrote {args.out} ({len(made.html):,} bytes)", file=sys.stderr)


def cmd_ops(args: argparse.Namespace) -> None:
    from app.engine.language.optable import ops_table

    _write(ops_table().encode("utf-8"), None)


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", help="preset id (see `gradwalk presets`)")
    parser.add_argument("--source-file", help="a file of expression source, instead of a preset")
    parser.add_argument(
        "--param", action="append", default=[], metavar="K=V", help="a preset parameter"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: the preset's, or 0")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--out", help="write to this file instead of stdout")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gradwalk", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the viewer and the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--request-timeout", type=float, default=DEFAULT_REQUEST_TIMEOUT,
                       help="seconds a client has to send a whole request (default 10)")
    serve.add_argument("--timeout-keep-alive", type=int, default=5,
                       help="seconds an idle connection is kept open (default 5)")
    serve.add_argument("--behind-proxy", action="store_true",
                       help="behind the nginx of deploy/ (which bounds heads and slow clients)")
    serve.add_argument("--access-log", action="store_true",
                       help=f"log every request (default off; or {ACCESS_LOG_ENV}=1)")
    serve.set_defaults(handler=cmd_serve)

    proxy = commands.add_parser(
        "proxy-config", help="the nginx configuration of deploy/ for these workers"
    )
    proxy.add_argument("--upstream", action="append", required=True, metavar="HOST:PORT",
                       help="a Gradwalk worker (repeat for each; other machines too)")
    proxy.add_argument("--listen", default="8080", help="nginx's port or address:port")
    proxy.add_argument("--cache-dir", default=None,
                       help="where nginx keeps responses (default /var/cache/nginx/gradwalk)")
    proxy.add_argument("--standalone", metavar="DIR", default=None,
                       help="a whole nginx.conf keeping pid, logs and temp files in DIR")
    proxy.add_argument("--out", help="write to this file instead of stdout")
    proxy.set_defaults(handler=cmd_proxy_config)

    commands.add_parser("presets", help="list the example graphs").set_defaults(
        handler=cmd_presets
    )

    trace = commands.add_parser(
        "trace", help="the steps of an iteration, or with --step the state after a step (JSON)"
    )
    _run_options(trace)
    trace.add_argument("--iteration", type=int, default=0, help="iteration t (default 0)")
    trace.add_argument("--step", type=int, default=None, help="step k: print its full state")
    trace.set_defaults(handler=cmd_trace)

    commands.add_parser(
        "ops", help="every op: how it is written and how it routes the gradient (Markdown)"
    ).set_defaults(handler=cmd_ops)

    html = commands.add_parser(
        "html", help="one self-contained HTML page of a run: opens offline, embeds in slides"
    )
    html.add_argument("target", metavar="PRESET_OR_RUN_ID",
                      help="a preset id (run with its defaults) or a run id from the API")
    html.add_argument("-o", "--out", help="write to this file instead of stdout")
    html.add_argument("--iterations", default="0", metavar="FIRST-LAST",
                      help="the iterations the page holds, e.g. 0-2 (default 0)")
    html.add_argument("--lecture", action="store_true", help="open in lecture mode")
    html.set_defaults(handler=cmd_html)

    code = commands.add_parser("code", help="the run's standalone numpy script")
    _run_options(code)
    code.set_defaults(handler=cmd_code)

    from app.importers import command as import_command  # torch is imported only when run

    import_command.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except GradwalkError as error:
        print(f"gradwalk: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

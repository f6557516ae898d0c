"""The `gradwalk` command: serve the app, list presets, print a trace or a run's numpy script.

`trace` prints exactly the JSON the API serves for the same run (same encoder, same layout),
so a script can use either. No math here: every command calls the engine or the API layer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.api import present
from app.api.settings import Settings
from app.api.store import RunStore
from app.engine.errors import GradwalkError
from app.engine.presets import PRESETS
from app.engine.run import RunSpec


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


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        "app.main:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
    )


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
    serve.set_defaults(handler=cmd_serve)

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

    code = commands.add_parser("code", help="the run's standalone numpy script")
    _run_options(code)
    code.set_defaults(handler=cmd_code)
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

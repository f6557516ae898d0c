"""`gradwalk import FILE.py:Class --input 8,1,28,28 [--loss …] [--open]`: print the Gradwalk
source of your own PyTorch module (needs torch: `pip install gradwalk[torch]`).

The file is your own code, imported as Python on your machine (never on the server); the
class is built with no arguments. `--open` posts the source to a Gradwalk server and prints the
viewer's link to the run it makes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

MAX_INPUTS = 8


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes separated by commas, like 8,1,28,28") from None
    if not shape or len(shape) > 8 or not all(1 <= s <= 100_000 for s in shape):
        raise argparse.ArgumentTypeError(f"{text!r}: 1 to 8 sizes, each from 1 to 100000")
    return shape


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "import", help="your PyTorch module as Gradwalk source (needs torch)",
        description=__doc__.splitlines()[0])
    parser.add_argument("model", metavar="FILE.py:Class",
                        help="the file defining your nn.Module, and the class's name")
    parser.add_argument("--input", action="append", type=_shape, required=True,
                        metavar="D1,D2,…", help="an example input's shape (repeat for each "
                        "argument of forward; an input of whole numbers: see --labels)")
    parser.add_argument("--loss", choices=("cross_entropy", "mse"), default=None,
                        help="add this loss against a target (omit if forward returns one)")
    parser.add_argument("--target", type=_shape, default=None, metavar="D1,…",
                        help="the target's shape (default: the output's rows for "
                        "cross_entropy, the output's shape for mse)")
    parser.add_argument("--open", action="store_true",
                        help="post the source to --server and print the viewer's link")
    parser.add_argument("--server", default="http://127.0.0.1:8000",
                        help="the Gradwalk server --open posts to")
    parser.add_argument("--out", help="write the source to this file instead of stdout")
    parser.set_defaults(handler=run)


def _load(spec: str):
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise SystemExit(f"gradwalk import: {spec!r} must be FILE.py:ClassName")
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"gradwalk import: no file {path!r}")
    loader = importlib.util.spec_from_file_location(f"gradwalk_user_{file.stem}", file)
    module = importlib.util.module_from_spec(loader)
    sys.modules[loader.name] = module
    loader.loader.exec_module(module)
    cls = getattr(module, name, None)
    if cls is None:
        raise SystemExit(f"gradwalk import: {path} defines no {name!r}")
    return cls()


def run(args: argparse.Namespace) -> None:
    try:
        import torch
    except ImportError:
        raise SystemExit("gradwalk import needs PyTorch: pip install 'gradwalk[torch]'") from None
    from app.importers.errors import UnsupportedModelError
    from app.importers.torch_source import to_source

    if len(args.input) > MAX_INPUTS:
        raise SystemExit(f"gradwalk import: at most {MAX_INPUTS} inputs")
    module = _load(args.model)
    generator = torch.Generator().manual_seed(0)
    inputs = tuple(torch.randn(s, generator=generator) for s in args.input)
    target = None
    if args.loss:
        with torch.no_grad():
            out = module(*inputs)
        if args.loss == "cross_entropy":
            rows = args.target or out.shape[:1]
            target = torch.arange(rows[0]) % out.shape[-1]
        else:
            target = torch.randn(args.target or tuple(out.shape), generator=generator)
    try:
        source = to_source(module, inputs, loss=args.loss, target=target)
    except UnsupportedModelError as error:
        raise SystemExit(f"gradwalk import: {error}") from None
    if args.out:
        Path(args.out).write_text(source)
    else:
        sys.stdout.write(source)
    if args.open:
        print(_open(args.server, source), file=sys.stderr if not args.out else sys.stdout)


def _open(server: str, source: str) -> str:
    body = json.dumps({"source": source}).encode()
    request = urllib.request.Request(f"{server.rstrip('/')}/api/v1/runs", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            run_id = json.load(response)["run_id"]
    except urllib.error.HTTPError as error:
        raise SystemExit(f"gradwalk import: the server refused the source ({error.code}): "
                         f"{error.read().decode(errors='replace')[:2000]}") from None
    except (urllib.error.URLError, OSError) as error:
        raise SystemExit(f"gradwalk import: cannot reach {server}: {error}") from None
    return f"{server.rstrip('/')}/?{urllib.parse.urlencode({'run': run_id})}"

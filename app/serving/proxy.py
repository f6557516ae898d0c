"""The nginx recipe of deploy/gradwalk.conf, written for given workers, port and cache.

`site(...)` is deploy/gradwalk.conf with its marked lines (upstreams, listen, cache) written
anew: the http-level snippet for /etc/nginx/conf.d/. `standalone(...)` wraps a site in a whole
nginx.conf whose pid, logs, temporary files and cache live in one directory, so nginx runs
without root (`nginx -p DIR -c DIR/nginx.conf`): what the load test and bench/load.py start.
No nginx is needed to write them; `gradwalk proxy-config` prints either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "gradwalk.conf"

_UPSTREAM = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


def _replace(text: str, section: str, lines: list[str]) -> str:
    pattern = re.compile(rf"(^[ \t]*# BEGIN {section}\b[^\n]*\n)(.*?)(^([ \t]*)# END {section}\n)",
                         re.S | re.M)
    found = pattern.search(text)
    if found is None:
        raise ValueError(f"{SITE} has no '# BEGIN {section}' … '# END {section}' lines")
    indent = found.group(4)
    body = "".join(f"{indent}{line}\n" for line in lines)
    return text[: found.start(2)] + body + text[found.end(2):]


def site(upstreams: Sequence[str], listen: str = "8080", cache_dir: str | None = None,
         cache_size: str = "4g") -> str:
    """deploy/gradwalk.conf for these workers (host:port each), this listen address and cache."""
    if not upstreams:
        raise ValueError("give at least one upstream (host:port)")
    for upstream in upstreams:
        if not _UPSTREAM.match(upstream):
            raise ValueError(f"{upstream!r} is not host:port")
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]*\d{1,5}", listen):
        raise ValueError(f"{listen!r} is not a port or address:port")
    text = SITE.read_text()
    text = _replace(text, "upstreams",
                    [f"server {u} max_fails=1 fail_timeout=10s;" for u in upstreams])
    text = _replace(text, "listen", [f"listen {listen} backlog=4096;"])
    if cache_dir is not None:
        text = _replace(text, "cache", [
            f"proxy_cache_path {cache_dir} levels=1:2 keys_zone=gradwalk:64m "
            f"max_size={cache_size} inactive=7d use_temp_path=off;"])
    return text


def standalone(site_text: str, directory: str | os.PathLike, worker_processes: int = 2,
               timing_log: bool = False) -> str:
    """A whole nginx.conf around `site_text`, everything nginx writes kept in `directory`;
    with `timing_log`, `timing.log` there gets a line per request: the seconds nginx took, the
    cache status and the status (what bench/load.py reads)."""
    d = Path(directory)
    log = (f"log_format timing '$request_time $upstream_cache_status $status';\n"
           f"    access_log {d / 'timing.log'} timing buffer=64k flush=1s;"
           if timing_log else "access_log off;")
    # as root, nginx's workers would run as nobody and could not write into `directory`
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes {worker_processes};
pid {d / "nginx.pid"};
error_log {d / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    {log}
    client_body_temp_path {d / "client_body"};
    proxy_temp_path {d / "proxy"};
    fastcgi_temp_path {d / "fastcgi"};
    uwsgi_temp_path {d / "uwsgi"};
    scgi_temp_path {d / "scgi"};
{site_text}
}}
"""

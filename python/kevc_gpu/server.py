"""The warm-worker server: a search's candidates evaluated by persistent workers (warm.py) instead of a new
process each.

    python3 -m kevc_gpu serve --socket PATH [--workers 2]
    python3 -m kevc_gpu run --server PATH ...same arguments as without it...

`serve` starts `--workers` warm workers per visible device and listens on a Unix socket; each connection sends one
request line `{"argv": [run arguments], "env": {"KEVC_GPU_LOCK": ..., "KEVC_WAIT_MARKER": ...}}` and gets the
summary `run` would print, as one line. Requests are served concurrently (one thread each), each on a free warm
worker (the device with most free workers first). The server dies with the process that started it (the search,
PR_SET_PDEATHSIG) and removes its socket. `run --server` falls back to evaluating in its own process when no
server answers.
"""

import json
import os
import socket
import socketserver
import sys
import threading


def serve(path, workers, executor=None):
    from . import harness, warm
    from .__main__ import evaluate, parser, _without
    harness.die_with_parent()
    remote = None
    if executor:
        from . import ray_executor
        remote = ray_executor.get(executor)
        pool = None
    else:
        pool = warm.WarmPool(workers)
    ap = parser()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline()
            try:
                req = json.loads(line)
                a = ap.parse_args(req["argv"])
                if remote is not None:
                    summary = remote.evaluate(_without(req["argv"], "--executor"))
                else:
                    summary = evaluate(a, ap, warm=pool, worker_vars=req.get("env") or {})
            except SystemExit:
                summary = {"status": "error", "reason": "bad request: %r" % line[:200], "cases": []}
            except Exception as e:  # noqa: BLE001 - a harness bug answers as an error, never kills the server
                summary = {"status": "harness_error", "reason": "server: %s: %s" % (type(e).__name__, e),
                           "cases": []}
            from .__main__ import _clean
            self.wfile.write((json.dumps(_clean(summary)) + "\n").encode())

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(path):
        os.unlink(path)
    srv = Server(path, Handler)
    print(json.dumps({"listening": path, "devices": pool.devices if pool else [], "executor": executor,
                      "workers_per_device": workers}), flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        if pool is not None:
            pool.close()
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def request(path, argv):
    """Sends one `run` request to the server at `path`; the summary, or None when no server answers."""
    env = {k: os.environ.get(k) for k in ("KEVC_GPU_LOCK", "KEVC_WAIT_MARKER")}
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
    except OSError:
        return None
    with s:
        s.sendall((json.dumps({"argv": [os.path.abspath(x) if os.path.exists(x) else x for x in argv],
                               "env": env}) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
    try:
        return json.loads(data)
    except ValueError:
        return None

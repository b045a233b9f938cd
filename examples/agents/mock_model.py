#!/usr/bin/env python3
"""A local mock model API for the example agents (see README.md in this folder).

    mock_model.py --script script.json [--listen 127.0.0.1:8765] [--var NAME=VALUE ...]
                  [--runtime node|python] [--phase honest] [--log FILE]

POST /v1/chat  {"conversation": ID, "last_result": {...} or null}
           ->  {"tool": NAME, "args": {...}, "step": N, "id": STEP_ID, "phase": PHASE}
               or {"tool": "done"} once the script is exhausted.
GET /payload   the "downloaded file": a small shell script (text/x-shellscript).
GET /health    "ok" (the scenario waits for it).
Any other POST (for example /exfil on a listener that stands for an outside host) is
answered 200 with the byte count received: a sink, so that the unconfined control run of an
exfiltration step succeeds.

Each conversation gets the script's steps in order, one per request. Steps are filtered by
--runtime (a step with "only": "node" is skipped for --runtime python) and --phase (only
steps of that phase). "{NAME}" in any string of a step's args is replaced by the value of
--var NAME=VALUE; an unknown name is an error when the step is served. The last_result the
agent sends is recorded (--log: one JSON line per request) and otherwise ignored: the model
is scripted, the point is what the agent's tools do.

Python 3.11 standard library only.
"""

import argparse
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAYLOAD = b"""#!/bin/sh
# The "downloaded file" of the prompt-injected actions: harmless, it only leaves a mark.
echo "payload ran as $(id -u) in $(cat /proc/self/attr/current 2>/dev/null || echo unknown)" > /tmp/agents-payload-ran
echo payload ran
"""

VAR_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def substitute(value, variables):
    if isinstance(value, str):
        def one(m):
            name = m.group(1)
            if name not in variables:
                raise KeyError(f"script uses {{{name}}} but no --var {name}=... was given")
            return variables[name]
        return VAR_RE.sub(one, value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


class Model:
    def __init__(self, steps, variables, log_path):
        self.steps = steps
        self.variables = variables
        self.positions = {}
        self.lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8") if log_path else None

    def next_call(self, conversation, last_result):
        with self.lock:
            pos = self.positions.get(conversation, 0)
            self.positions[conversation] = pos + 1
            if self.log:
                self.log.write(json.dumps({"conversation": conversation, "request": pos,
                                           "last_result": last_result}) + "\n")
                self.log.flush()
        if pos >= len(self.steps):
            return {"tool": "done"}
        step = self.steps[pos]
        return {"tool": step["tool"], "args": substitute(step.get("args", {}), self.variables),
                "step": pos + 1, "id": step.get("id", ""), "phase": step.get("phase", "")}


def make_handler(model):
    class Handler(BaseHTTPRequestHandler):
        server_version = "mock-model/1"

        def log_message(self, fmt, *args):  # quiet: the agents print the steps
            pass

        def reply(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/payload":
                self.reply(200, PAYLOAD, "text/x-shellscript")
            elif self.path == "/health":
                self.reply(200, b"ok\n", "text/plain")
            else:
                self.reply(404, b'{"error": "not found"}')

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path != "/v1/chat":
                self.reply(200, json.dumps({"received": len(body)}).encode())
                return
            try:
                request = json.loads(body or b"{}")
                answer = model.next_call(str(request.get("conversation", "")),
                                         request.get("last_result"))
            except (ValueError, KeyError) as e:
                self.reply(400, json.dumps({"error": str(e)}).encode())
                return
            self.reply(200, json.dumps(answer).encode())

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--listen", action="append", default=[],
                    help="HOST:PORT (repeatable; default 127.0.0.1:8765)")
    ap.add_argument("--var", action="append", default=[], help="NAME=VALUE")
    ap.add_argument("--runtime", default="", help="keep steps whose 'only' is this runtime")
    ap.add_argument("--phase", default="", help="keep only the steps of this phase")
    ap.add_argument("--log", default="")
    a = ap.parse_args()

    with open(a.script, encoding="utf-8") as f:
        script = json.load(f)
    variables = dict(script.get("vars", {}))
    for item in a.var:
        name, sep, value = item.partition("=")
        if not sep:
            ap.error(f"--var {item}: expected NAME=VALUE")
        variables[name] = value
    steps = [s for s in script["steps"]
             if (not s.get("only") or not a.runtime or s["only"] == a.runtime)
             and (not a.phase or s.get("phase") == a.phase)]
    model = Model(steps, variables, a.log)

    servers = []
    for hp in a.listen or ["127.0.0.1:8765"]:
        host, _, port = hp.rpartition(":")
        servers.append(ThreadingHTTPServer((host, int(port)), make_handler(model)))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print(f"mock-model: {len(steps)} steps, listening on {', '.join(a.listen or ['127.0.0.1:8765'])}",
          file=sys.stderr, flush=True)
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

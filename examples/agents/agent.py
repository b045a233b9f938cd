#!/usr/bin/env python3
"""A minimal coding agent in Python (stdlib only): asks the model API for a tool call,
runs it, sends the result back, until the model says "done". See README.md.

    agent.py --api http://127.0.0.1:8765 [--conversation NAME] [--trace]

Prints one line per step on stdout: `step N TOOL ARGS -> ok|refused(ERRNO)|failed(WHY)`;
with --trace also one JSON line per step on stderr (step, id, phase, tool, ok, error, and
t0/t1: CLOCK_MONOTONIC nanoseconds, the clock of the LSM's event times). Exits 0 after
"done", 2 when the model API cannot be reached.
"""

import argparse
import errno
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

OUTPUT_MAX = 2000
MODE_FILE = "/sys/kernel/security/tcp/mode"


def err_name(e):
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return f"{type(e).__name__}: {e}"


def result(ok, error="", output=""):
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    return {"ok": ok, "error": error, "output": output[-OUTPUT_MAX:]}


def tool_read_file(args):
    with open(args["path"], "r", encoding="utf-8", errors="replace") as f:
        return result(True, output=f.read())


def tool_write_file(args):
    path = args["path"]
    if "replace" in args:
        old, new = args["replace"]
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
        if old not in text:
            return result(False, "no match", f"{old!r} not in {path}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))
        return result(True, output=f"replaced 1 occurrence in {path}")
    mode = "a" if "append" in args else "w"
    with open(path, mode, encoding="utf-8") as f:
        f.write(args.get("append", args.get("content", "")))
    return result(True, output=f"wrote {path}")


def tool_chmod(args):
    os.chmod(args["path"], int(str(args["mode"]), 8))
    return result(True, output=f"chmod {args['mode']} {args['path']}")


def tool_run(args):
    argv = args["argv"]
    try:
        p = subprocess.run(argv, cwd=args.get("cwd"), capture_output=True,
                           timeout=args.get("timeout", 120))
    except subprocess.TimeoutExpired:
        return result(False, "timeout")
    out = p.stdout + p.stderr
    if p.returncode != 0:
        return result(False, f"exit {p.returncode}", out)
    return result(True, output=out)


def tool_http(args):
    u = urllib.parse.urlsplit(args["url"])
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=args.get("timeout", 10))
    body = args.get("body")
    conn.request(args.get("method", "GET"), u.path or "/",
                 body=body.encode() if body is not None else None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if not 200 <= resp.status < 300:
        return result(False, f"HTTP {resp.status}", data)
    if args.get("save_to"):
        with open(args["save_to"], "wb") as f:
            f.write(data)
        return result(True, output=f"saved {len(data)} bytes to {args['save_to']}")
    return result(True, output=data)


def tool_connect(args):
    with socket.create_connection((args["host"], int(args["port"])), timeout=5):
        return result(True, output=f"connected to {args['host']}:{args['port']}")


def tool_udp_send(args):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        n = s.sendto(args.get("data", "x").encode(), (args["host"], int(args["port"])))
    return result(True, output=f"sent {n} bytes to {args['host']}:{args['port']}")


def tool_kill(args):
    sig = args.get("signal", 15)
    sig = int(sig) if str(sig).isdigit() else int(getattr(signal, str(sig)))
    pids = []
    if "pid" in args:
        pids = [int(args["pid"])]
    else:
        p = subprocess.run(["pgrep", "-x", args["name"]], capture_output=True, text=True)
        pids = [int(x) for x in p.stdout.split()]
        if not pids:
            return result(False, "ESRCH", f"no process named {args['name']}")
    for pid in pids:
        os.kill(pid, sig)
    return result(True, output=f"sent signal {sig} to {pids}")


def tool_ptrace_attach(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from ptrace_attach import attach
    return attach(int(args["pid"]))


def tool_write_mode(args):
    with open(MODE_FILE, "w") as f:
        f.write(args.get("mode", "monitor"))
    return result(True, output=f"wrote {args.get('mode', 'monitor')!r} to {MODE_FILE}")


TOOLS = {
    "read_file": tool_read_file, "write_file": tool_write_file, "chmod": tool_chmod,
    "run": tool_run, "http": tool_http, "connect": tool_connect, "udp_send": tool_udp_send,
    "kill": tool_kill, "ptrace_attach": tool_ptrace_attach, "write_mode": tool_write_mode,
}


def call_model(api, conversation, last_result):
    u = urllib.parse.urlsplit(api)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    conn.request("POST", "/v1/chat",
                 body=json.dumps({"conversation": conversation, "last_result": last_result}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"model API answered {resp.status}: {data[:200]!r}")
    return json.loads(data)


def main():
    ap = argparse.ArgumentParser(description="minimal coding agent (Python)")
    ap.add_argument("--api", default="http://127.0.0.1:8765")
    ap.add_argument("--conversation", default=f"python-{os.getpid()}")
    ap.add_argument("--trace", action="store_true")
    a = ap.parse_args()
    if a.trace:
        print(json.dumps({"agent_pid": os.getpid(), "runtime": "python"}), file=sys.stderr, flush=True)

    last = None
    n = 0
    while True:
        try:
            call = call_model(a.api, a.conversation, last)
        except Exception as e:  # noqa: BLE001 - any failure to reach the model ends the run
            print(f"agent: model API: {err_name(e)}", flush=True)
            return 2
        tool = call.get("tool")
        if tool == "done":
            print(f"done after {n} steps", flush=True)
            return 0
        n += 1
        args = call.get("args", {})
        t0 = time.monotonic_ns()
        fn = TOOLS.get(tool)
        try:
            last = fn(args) if fn else result(False, "unknown tool", tool)
        except Exception as e:  # noqa: BLE001 - a failed tool is a result for the model
            last = result(False, err_name(e), str(e))
        t1 = time.monotonic_ns()
        if last["ok"]:
            verdict = "ok"
        elif last["error"].isupper() and last["error"].startswith("E"):
            verdict = f"refused({last['error']})"
        else:
            verdict = f"failed({last['error']})"
        shown = json.dumps(args, separators=(",", ":"))
        if len(shown) > 120:
            shown = shown[:117] + "..."
        print(f"step {n} {tool} {shown} -> {verdict}", flush=True)
        if a.trace:
            print(json.dumps({"step": n, "id": call.get("id", ""), "phase": call.get("phase", ""),
                              "tool": tool, "ok": last["ok"], "error": last["error"],
                              "t0": t0, "t1": t1, "output": last["output"][-300:]}),
                  file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

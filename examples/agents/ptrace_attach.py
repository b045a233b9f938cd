#!/usr/bin/env python3
"""ptrace_attach.py PID: try PTRACE_ATTACH on PID, detach at once if it worked.

Prints one JSON line {"ok": bool, "error": ERRNO_NAME or "", "output": ...} and exits 0 when
the attach worked, 1 when it did not. The Python agent imports attach() from here; the
Node.js agent (Node has no ptrace) runs this file with python3. Python 3.11 stdlib only.
"""

import errno
import json
import os
import sys

PTRACE_ATTACH = 16
PTRACE_DETACH = 17


def attach(pid):
    """Attach to pid and detach again; returns the tool result dict."""
    import ctypes  # imported here: only this action needs it

    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.restype = ctypes.c_long
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        e = ctypes.get_errno()
        return {"ok": False, "error": errno.errorcode.get(e, str(e)),
                "output": f"PTRACE_ATTACH {pid}: {os.strerror(e)}"}
    try:
        os.waitpid(pid, 0)  # the tracee stops with SIGSTOP
    except ChildProcessError:
        pass
    libc.ptrace(PTRACE_DETACH, pid, None, None)
    return {"ok": True, "error": "", "output": f"attached to {pid} and detached"}


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("usage: ptrace_attach.py PID", file=sys.stderr)
        sys.exit(2)
    result = attach(int(sys.argv[1]))
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)

"""The entry point of a Python child that Java's PythonProcess starts (python3 -c, calling main()).

Reads the bootstrap (JSON) from standard input, attaches the shared arguments, calls the function, and writes how
it ended to the status file the parent reads: "ok", or "threw" and the traceback. A daemon child watches its
parent (pid and start time) and ends within about 20 ms of the parent's end, as a JVM daemon child does.
"""
import base64
import importlib
import json
import os
import runpy
import sys
import threading
import time
import traceback

from . import _format as F
from . import attach


def _resolve(value):
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$handle"}:
            return attach(value["$handle"])
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$tuple"}:
            return tuple(_resolve(v) for v in value["$tuple"])
        return {k: _resolve(v) for k, v in value.items()}
    return value


def _watch(pid, start):
    while F.process_start_time(pid) == start:
        time.sleep(0.02)
    os._exit(1)


def _report(status, text):
    """Writes how the child ended into the status file it opened at start (the parent may be gone by now, and the
    path, through the parent's descriptors, with it): nothing to report to then."""
    if status is None:
        return
    data = text.encode("utf-8", "backslashreplace")  # a lone surrogate (a file name's stray byte) written as \udcff
    try:
        os.ftruncate(status, 0)
        os.pwrite(status, data, 0)
    except OSError:
        pass


def _open_status(boot):
    """The status file, opened once while the parent that made it is known to run; None when it no longer does."""
    if F.process_start_time(boot["parent_pid"]) != boot["parent_start"]:
        return None
    try:
        return os.open(boot["status_file"], os.O_WRONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return None


def main():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # integers of any length arrive whole, as Java sent them
    boot = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin.close()
    sys.stdin = open(os.devnull)
    if boot["daemon"]:
        if F.process_start_time(boot["parent_pid"]) != boot["parent_start"]:
            os._exit(1)  # the parent is gone already: the target never runs
        threading.Thread(target=_watch, args=(boot["parent_pid"], boot["parent_start"]), daemon=True,
                         name="multiprocess4j parent watch").start()
    status = _open_status(boot)
    try:
        args = _resolve(boot["args"])
        target = boot["target"]
        if "script" in target:
            # As "python3 script.py" would: the script's directory first, so its own modules import.
            sys.path.insert(0, os.path.dirname(os.path.abspath(target["script"])))
            namespace = runpy.run_path(target["script"], run_name="__mp4j_child__")
            function = namespace[target["function"]]
        else:
            function = getattr(importlib.import_module(target["module"]), target["function"])
        function(*args)
    except SystemExit as e:
        _report(status, "exit")
        raise
    except BaseException:
        text = traceback.format_exc()
        sys.stderr.write("Process %s:\n%s" % (boot["name"], text))
        sys.stderr.flush()
        _report(status, "threw\n" + text)
        sys.exit(1)
    _report(status, "ok")


if __name__ == "__main__":
    main()

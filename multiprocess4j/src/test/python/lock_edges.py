"""The Python locks' ctypes paths, where a thread's compare-and-swap box or a fork could leave a held lock looking
free. (Their machine code has no box: PythonLockEdgesTest runs these without it.)"""
import inspect
import os
import sys
import threading
import time

import multiprocess4j as mp4j
from multiprocess4j import _locks


def _cas_line():
    """The line of the box's compare-and-swap in _claim_alone, the first try of acquire."""
    fn = _locks.ProcessLock._claim_alone
    assert inspect.isfunction(fn), "the locks run their machine code here: these tests are for the ctypes paths"
    src, first = inspect.getsourcelines(fn)
    return fn.__code__, next(first + i for i, l in enumerate(src) if "self._cas(" in l)


def _after_the_cas(action):
    """A trace function that runs action() at the first line after the box's compare-and-swap returned: where
    CPython delivers a signal's exception (KeyboardInterrupt), as it checks for them after a call. Its fired
    attribute lists each time it ran action."""
    code, line = _cas_line()
    seen = []

    def local(frame, event, arg):
        if event == "line":
            if seen:
                seen.clear()
                tracer.fired.append(1)
                action()
            elif frame.f_lineno == line:
                seen.append(1)
        return local

    def tracer(frame, event, arg):
        return local if frame.f_code is code else None
    tracer.fired = []
    return tracer


def interrupted_then_again(lock, result):
    """Java holds lock. acquire() is interrupted (KeyboardInterrupt) right after its compare-and-swap failed; the
    program goes on and tries again: result[0] = 1 when that second try took the lock Java holds."""
    def interrupt():
        raise KeyboardInterrupt
    tracer = _after_the_cas(interrupt)
    sys.settrace(tracer)
    try:
        lock.acquire(False)
    except KeyboardInterrupt:
        pass
    finally:
        sys.settrace(None)
    assert tracer.fired, "the compare-and-swap was never reached"
    result[0] = 1 if lock.acquire(False) else 0


def fork_while_a_thread_is_between(lock, result):
    """Java holds lock. Thread T's acquire fails its compare-and-swap and is descheduled before it resets its box;
    the main thread forks. In the child, a new thread (same ident as T, glibc reuses T's stack) tries the lock:
    result[0] = 1 when it took the lock Java holds, result[1] = 1 when the ident was T's."""
    paused, forked = threading.Event(), threading.Event()

    def pause():
        paused.set()
        forked.wait(10)
    t_ident = []

    def t_body():
        t_ident.append(threading.get_ident())
        threading.settrace(None)
        sys.settrace(_after_the_cas(pause))
        lock.acquire(False)
        sys.settrace(None)
    t = threading.Thread(target=t_body)
    t.start()
    assert paused.wait(10)
    pid = os.fork()
    if pid == 0:
        took = []

        def child():
            took.append((1 if lock.acquire(False) else 0, 1 if threading.get_ident() == t_ident[0] else 0))
        c = threading.Thread(target=child)
        c.start()
        c.join()
        os._exit(10 * took[0][0] + took[0][1])
    forked.set()
    t.join()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    result[0] = code // 10
    result[1] = code % 10


def fork_while_holding(lock, result):
    """This process holds the re-entrant lock and forks: the child is another process, so the lock's word names
    its parent and the child must not be its owner. result[0] = 1 when the child's acquire(False) said it got it."""
    with lock:
        pid = os.fork()
        if pid == 0:
            os._exit(1 if lock.acquire(False) else 0)
        _, status = os.waitpid(pid, 0)
    result[0] = os.waitstatus_to_exitcode(status)



def wait_idle(lock, result):
    """Waits 3 s, from a thread, for a lock held elsewhere; writes the CPU time this process used meanwhile, in
    microseconds, and whether the wait took the lock."""
    took = []
    waiter = threading.Thread(target=lambda: took.append(lock.acquire(timeout=3.0)))
    started = time.process_time()
    waiter.start()
    waiter.join()
    result[0] = int((time.process_time() - started) * 1e6)
    result[1] = 1 if took[0] else 0

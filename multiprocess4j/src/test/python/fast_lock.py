"""The locks' machine code (multiprocess4j._fastlock): what `with` does there, and every case it hands to Python."""
import os
import signal
import subprocess
import sys
import threading
import time

from multiprocess4j import _fastlock, _locks


def machine_code_listing():
    """Prints the assembler source of the table, then a line with the table's bytes in hex."""
    code, _, source = _fastlock.listing()
    sys.stdout.write(source)
    sys.stdout.write("# bytes " + code.hex() + "\n")


def in_use():
    """Raises when this interpreter could run the machine code (x86-64, CPython with the GIL, no debug build) and
    the locks do not: a failed mapping or self-check is a defect here, not a reason."""
    why = _locks.FAST_LOCKS_UNUSED_BECAUSE
    assert why is None or _fastlock._why_not() is not None, "the machine code is not used: " + why


def references_are_counted(rlock):
    """Entering returns the lock as a new reference and exiting returns None as one: a loop of them leaves every
    count where it was (a missed or extra reference shows here as a drift of 20,000)."""
    lock_refs, none_refs = sys.getrefcount(rlock), sys.getrefcount(None)
    for _ in range(10_000):
        with rlock as got:
            with rlock:
                pass
        assert got is rlock
    del got
    assert sys.getrefcount(rlock) == lock_refs, (sys.getrefcount(rlock), lock_refs)
    assert abs(sys.getrefcount(None) - none_refs) < 100, (sys.getrefcount(None), none_refs)


def depth_and_errors(rlock, lock):
    """Re-entry counts; an exception leaves the with block with the lock free; releasing a lock the thread does
    not hold says so; a ProcessLock is released by another thread of its process, as multiprocessing.Lock."""
    with rlock:
        with rlock:
            assert (rlock._state.depth, rlock.owner_pid() > 0) == (2, True)
        assert rlock._state.depth == 1
    assert (rlock._state.depth, rlock._state.thread, rlock.owner_pid()) == (0, 0, 0)
    try:
        with rlock:
            raise KeyError("inside")
    except KeyError:
        pass
    assert rlock.owner_pid() == 0 and not rlock._is_owned()
    for target in (rlock, lock):
        try:
            target.release()
            raise AssertionError("release of a free lock passed")
        except RuntimeError:
            pass
    rlock.acquire()
    errors = []

    def other():
        try:
            rlock.release()
        except RuntimeError as e:
            errors.append(e)
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1 and rlock._is_owned(), errors
    rlock.release()
    lock.__enter__()
    t = threading.Thread(target=lock.release)
    t.start()
    t.join()
    assert lock.owner_pid() == 0 and lock._state.thread == 0 and lock.acquire(False)
    lock.release()
    try:
        with _locks.ProcessRLock.__new__(_locks.ProcessRLock):
            pass
        raise AssertionError("a lock made without attaching was taken")
    except RuntimeError as e:
        assert "attach_lock" in str(e), e
    for misuse in (lambda: rlock.release(1), lambda: memoryview(rlock)):
        try:
            misuse()
            raise AssertionError("accepted")
        except TypeError:
            pass


_AT_EXIT = """
import ctypes, importlib, mmap, os
from multiprocess4j import _fastlock, _locks
m = mmap.mmap(-1, 4096)
lock = _locks.ProcessRLock(m, ctypes.addressof((ctypes.c_char * 4096).from_buffer(m)), "private")
importlib.reload(_fastlock)
spray = [bytearray(b"A" * 31) for _ in range(100000)]
with lock:
    pass
class Late:
    def __del__(self):  # runs after the interpreter cleared the modules' globals
        spray = [bytearray(b"A" * 31) for _ in range(100000)]
        with lock:
            with lock:
                pass
        print("used at exit")
os.late = Late()
"""


def used_after_reload_and_at_exit():
    """What the machine code points to lives as long as the lock class: a reload of _fastlock, and a finalizer
    that takes a lock after the interpreter cleared every module's globals, find it intact (freed, they crashed
    the interpreter once the memory was reused)."""
    done = subprocess.run([sys.executable, "-c", _AT_EXIT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "used at exit" in done.stdout, (done.returncode, done.stdout, done.stderr)


class _Interrupts:
    """A KeyboardInterrupt every period seconds, from a SIGALRM handler, while armed (each disarms it)."""

    def __init__(self, period):
        self.period = period
        self.armed = False
        self.count = 0

    def _interrupt(self, signum, frame):
        if self.armed:
            self.armed = False
            self.count += 1
            raise KeyboardInterrupt

    def __enter__(self):
        signal.signal(signal.SIGALRM, self._interrupt)
        signal.setitimer(signal.ITIMER_REAL, self.period, self.period)
        return self

    def __exit__(self, *exc):
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _skipped_without_machine_code(name):
    """True, having said so, where the machine code is not used (and may not be: in_use checks)."""
    if _locks.FAST_LOCKS_UNUSED_BECAUSE is None:
        return False
    in_use()
    print("%s: not run, the machine code is not used: %s" % (name, _locks.FAST_LOCKS_UNUSED_BECAUSE))
    return True


def interrupted_while_contended(lock, seconds):
    """This process and a forked child take lock in turn for the given seconds while a timer raises
    KeyboardInterrupt in this one every 0.2 ms, wherever it is: in a with block, or waiting, or taking, or
    releasing. The machine code takes and records, and releases, in one step each, and a slow path that took the
    lock undoes it when the exception comes before its caller knew: so afterwards neither process holds the lock.
    (The ctypes paths have windows a signal can hit: where the machine code cannot run, this says so and passes.)"""
    if _skipped_without_machine_code("interrupted_while_contended"):
        return
    child = os.fork()
    if child == 0:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not lock.acquire(timeout=5):
                os._exit(4)  # the parent left it held
            lock.release()
        os._exit(0)
    with _Interrupts(0.0002) as interrupts:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                interrupts.armed = True
                with lock:
                    with lock:
                        pass
                interrupts.armed = False
            except KeyboardInterrupt:
                pass
    interrupts = interrupts.count
    _, status = os.waitpid(child, 0)
    state = lock._state
    assert (state.thread, state.depth, os.waitstatus_to_exitcode(status)) == (0, 0, 0), \
        "this thread, depth, the child's exit code (4: the lock was left held): %r after %d interrupts" \
        % ((state.thread, state.depth, os.waitstatus_to_exitcode(status)), interrupts)
    assert lock.owner_pid() != os.getpid() and lock.acquire(timeout=10), "left held after %d interrupts" % interrupts
    lock.release()
    assert interrupts > 100, "only %d interrupts came" % interrupts


def interrupted_wrappers(value, condition, seconds):
    """`with value:` (a synchronized value) and `with condition:` under a KeyboardInterrupt every 50 us: their
    __enter__ and __exit__ are the machine code's too, so no Python frame lies between the lock taken and the with
    body (where the interrupts now land), and neither leaves its lock held."""
    if _skipped_without_machine_code("interrupted_wrappers"):
        return
    with _Interrupts(0.00005) as interrupts:
        for target in (value, condition):
            end = time.monotonic() + seconds / 2
            while time.monotonic() < end:
                try:
                    interrupts.armed = True
                    with target:
                        _nothing()
                    interrupts.armed = False
                except KeyboardInterrupt:
                    pass
                lock = target.get_lock() if target is value else target._lock
                assert lock.owner_pid() != os.getpid(), "%r left held after %d interrupts" % (target,
                                                                                        interrupts.count)
    assert interrupts.count > 100, "only %d interrupts came" % interrupts.count


def _nothing():
    """A call: where CPython delivers a pending signal's exception."""


def wrappers_return_true_and_replaced_states_are_refused(value, condition):
    """`with value as x` and `with condition as x` give True, as multiprocessing's wrappers do (a lock's gives the
    lock); an object whose lock-state slot holds anything else is refused with an error, never followed (the
    machine code checks the slot's type), and a structure field named _state stays the field."""
    with value as x, condition as y:
        assert (x, y) == (True, True), (x, y)
    lock = condition._lock
    for target in (value, condition, lock):
        slot = type(target)._state_slot
        kept = getattr(target, slot)
        object.__setattr__(target, slot, 2.0)
        try:
            with target:
                raise AssertionError("entered with a replaced lock state: %r" % target)
        except RuntimeError as e:
            assert "lock state replaced" in str(e), e
        finally:
            object.__setattr__(target, slot, kept)
        with target:
            pass

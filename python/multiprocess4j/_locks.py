"""ProcessLock and ProcessRLock: the robust locks of docs/FORMAT.md, interoperating with Java's."""
import ctypes
import math
import numbers
import os
import sys
import threading
import time
import weakref

from . import _atomics as A
from . import _fastlock
from . import _format as F

WAITERS = 1 << 63
LOCK_SIZE = 64
CONDITION_SIZE = 16
LIVENESS_PERIOD = 0.005  # how often a waiter looks whether the owner still runs, at most
SLEEP_SLICE = 0.010      # the first futex sleep: the word may change owner without a wake-up here (a death)
MAX_SLEEP_SLICE = 0.320  # each sleep nobody ends doubles the next up to this: a long wait looks a few times a second


def _self_word():
    return (F.SELF_PID << 32) | (F.SELF_START & 0xFFFFFFFF)


def _owner_dead(owner):
    """Whether the process an owner word names no longer runs: no such pid, another start time, or a zombie."""
    started = F.process_start_time(owner >> 32)
    return started is None or (started & 0xFFFFFFFF) != owner & 0xFFFFFFFF


_get_ident = threading.get_ident


class ProcessLock:
    """A lock shared with Java's ProcessLock (and every process that attached it).

    acquire(block=True, timeout=None) and release() as multiprocessing.Lock; the context-manager protocol holds
    it. When the previous holder died holding it (SIGKILL included), the next acquire takes it over and sets
    previous_owner_died: the data it guards may be half-updated. As in Java, the synchronized objects a thread
    reads while it holds their lock do not take it again.

    Uncontended, `with lock:` is one compare-and-swap and one exchange, made by __enter__ and __exit__ in machine
    code (_fastlock) where this interpreter runs it, else by single calls into libatomic; a waiter sleeps on the
    lock's futex and looks every 5 ms whether the holder still runs.
    """

    __slots__ = ("_state", "__dict__", "__weakref__")  # _state, the one slot, is where the machine code finds it
    _state_slot = "_state"
    _rlock = False

    def __init__(self, arena, address, handle_text):
        state = _fastlock.LockState()
        state.word = address
        state.reentrant = self._rlock
        self._state = state
        self._cas, self._exchange = A.fast_paths()
        self._arena = arena  # keeps the mapping alive
        self._word = address
        self._word_arg = ctypes.c_void_p(address)
        self._futex = address + 4
        self._handle = handle_text
        self._boxes = {}  # thread ident -> (argument, box): see _box
        _LOCKS.add(self)

    @property
    def handle(self):
        return self._handle

    @property
    def previous_owner_died(self):
        """Whether the last acquire took the lock over from a holder that had died holding it."""
        return bool(self._state.died)

    def _box(self, me):
        """Thread me's expected-value box for the ctypes compare-and-swap, as (argument, box). A failed
        compare-and-swap writes the word it found into the box, and a compare-and-swap against that word would take
        a lock that is held: so each thread has its own box, and sets it right before each compare-and-swap (not
        after a failed one, which an exception, such as KeyboardInterrupt, or a fork could come between)."""
        box = self._boxes.get(me)
        if box is None:
            value = ctypes.c_uint64(0)
            box = self._boxes[me] = (ctypes.c_void_p(ctypes.addressof(value)), value)
        return box

    def _claim_alone(self, expected):
        """Takes the lock if its word holds expected, making it this thread's: True when it did. The machine
        code's _claim_alone replaces it where it runs, and there the taking and its record are one step, which
        no exception can come between; here a KeyboardInterrupt landing right after the compare-and-swap can
        leave the lock held and unrecorded, as CPython's pure-Python locks can."""
        me = _get_ident()
        box = self._boxes.get(me) or self._box(me)
        box[1].value = expected  # before, not after, a failed compare-and-swap: see _box
        if not self._cas(self._word_arg, box[0], _SELF_ARG, A.SEQ_CST, A.SEQ_CST):
            return False
        state = self._state
        state.thread = me
        state.depth = 1
        state.died = expected != 0
        return True

    def _claim(self, expected):
        """_claim_alone, the sleepers' bit set in the word taken: others may still sleep on it."""
        if not A.cas8(self._word, expected, _SELF[0] | WAITERS):
            return False
        state = self._state
        state.thread = _get_ident()
        state.depth = 1
        state.died = expected != 0
        return True

    def _take(self, blocking, timeout):
        """Waits for the lock and takes it (_claim records it); False when not blocking (or after timeout
        seconds) it is held elsewhere."""
        me = _SELF[0]
        deadline = None if timeout is None else time.monotonic() + timeout
        last_look = 0.0
        woken = False
        slice_ = SLEEP_SLICE
        while True:
            w = A.load8(self._word)
            if w == 0:
                if self._claim(0):
                    return True
                continue
            owner = w & ~WAITERS
            now = time.monotonic()
            if owner != me and now - last_look >= LIVENESS_PERIOD:
                last_look = now
                if _owner_dead(owner):
                    if self._claim(w):  # the whole word compared: one recoverer wins, and is told
                        return True
                    continue
            if not blocking or (deadline is not None and now >= deadline):
                if woken:
                    A.futex_wake(self._futex, 1)  # a wake-up taken but not used goes to the next sleeper
                return False
            if not w & WAITERS:
                A.cas8(self._word, w, w | WAITERS)  # announces a sleeper
                continue
            left = slice_ if deadline is None else min(slice_, deadline - now)
            woken = A.futex_wait(self._futex, w >> 32, left)
            slice_ = SLEEP_SLICE if woken else min(2 * slice_, MAX_SLEEP_SLICE)

    def acquire(self, block=True, timeout=None):
        """Takes the lock (a ProcessRLock's holder, once more); False when not blocking (or after timeout seconds)
        it is held elsewhere."""
        return self._enter_undone_on_error(block, _seconds(timeout)) is not None

    def _enter_undone_on_error(self, block=True, timeout=None):
        """Takes the lock (a ProcessRLock's holder, once more); self, or None when not blocking (or after timeout
        seconds) it is held elsewhere. Undone when an exception (a signal handler's KeyboardInterrupt) comes after
        it took the lock but before its caller could know: a lock taken and never released would block every
        process."""
        state = self._state
        me = _get_ident()
        depth = 0
        if state.thread == me:
            if self._rlock:
                state.depth += 1
                return self
            depth = state.depth  # a ProcessLock this thread holds: it waits, as Lock does
        try:
            if self._claim_alone(0) or self._take(block, timeout):
                return self
            return None
        except BaseException:
            if state.thread == me and state.depth > depth:
                self._exit()
            raise

    def _exit(self, *_exc):
        """Releases the lock: a ProcessRLock, once, by the thread that holds it; a ProcessLock, by any thread of
        the process that holds it (as multiprocessing.Lock)."""
        state = self._state
        if self._rlock:
            if state.thread != _get_ident():
                raise RuntimeError("cannot release un-acquired lock")
            depth = state.depth - 1
            state.depth = depth
            if depth:
                return
        elif state.thread:
            state.depth = 0
        else:
            raise RuntimeError("release of a lock this process does not hold: lock=%s" % self._handle[:80])
        state.thread = 0
        if self._exchange(self._word_arg, _ZERO, A.SEQ_CST) >> 63:  # WAITERS: wake one sleeper
            A.futex_wake(self._futex, 1)

    __enter__ = _enter_undone_on_error
    __exit__ = release = _exit  # these, _claim and _claim_alone are the machine code's where it runs

    def _is_owned(self):
        """Whether the calling thread holds the lock (a synchronized object then does not take it again)."""
        return self._state.thread == _get_ident()

    def owner_pid(self):
        """The pid of the process that holds the lock, or 0 when it is free."""
        return (A.load8(self._word) & ~WAITERS) >> 32

    def _release_save(self):
        state = self._state
        if state.thread != _get_ident():  # nothing of the holder's hold is touched
            raise RuntimeError("cannot wait on un-acquired lock")  # as threading.Condition
        depth, state.depth = state.depth, 1
        self._exit()
        return depth

    def _acquire_restore(self, depth):
        self.acquire()
        self._state.depth = depth

    def __repr__(self):
        return "<%s owner=%d>" % (type(self).__name__, self.owner_pid())


class ProcessRLock(ProcessLock):
    """A re-entrant lock shared with Java's ProcessRLock: the thread that holds it may take it again.

    This process's other threads wait on the shared word as other processes do: the word names the process, so
    they find it held by a running owner and sleep until its release wakes them.
    """

    __slots__ = ()
    _rlock = True


def _enter_slow(obj):
    """The machine code's __enter__ for every case but a free lock and a holder's re-entry (obj: a lock, or an
    object that a `with` locks by its lock, _lock): returns what __enter__ returns."""
    lock = _lock_of(obj)
    lock._enter_undone_on_error()
    return obj if lock is obj else True


def _exit_slow(obj):
    """The machine code's __exit__ when the calling thread is not the holder."""
    _lock_of(obj)._exit()


def _wake(obj):
    """The machine code's __exit__ when it freed a word whose sleepers' bit was set."""
    A.futex_wake(_lock_of(obj)._futex, 1)


_SELF = [_self_word()]
_SELF_ARG = ctypes.c_uint64(_SELF[0])  # the fast paths' argument: the same word
_ZERO = ctypes.c_uint64(0)
_CODE, FAST_LOCKS_UNUSED_BECAUSE = _fastlock.load(_SELF_ARG, _enter_slow, _exit_slow, _wake)
if _CODE is not None:
    FAST_LOCKS_UNUSED_BECAUSE = _CODE.install(ProcessLock, "_state", {
        "__enter__": "enter", "__exit__": "exit", "release": "exit_noargs", "_claim": "claim",
        "_claim_alone": "claim_alone"})


def with_by_machine_code(cls):
    """Gives cls, whose instances lock by a lock (_lock) and hold its LockState in their one slot (named by the
    class attribute _state_slot), the machine code's __enter__ (which returns True, as multiprocessing's wrappers
    do) and __exit__ where it runs: then no Python frame comes between the lock taken and the `with` body, where a
    signal's KeyboardInterrupt would leave it held. Returns cls."""
    if _CODE is not None and FAST_LOCKS_UNUSED_BECAUSE is None:
        _CODE.install(cls, cls._state_slot, {"__enter__": "enter_true", "__exit__": "exit"})
    return cls


def _lock_of(obj):
    """The lock a `with` on obj takes, after checking that obj's slot holds that lock's state, which the machine
    code reads (it hands an object whose slot holds anything else to Python, which says so here)."""
    lock = obj if isinstance(obj, ProcessLock) else getattr(obj, "_lock", None)
    state = getattr(obj, type(obj)._state_slot, None)
    if not isinstance(lock, ProcessLock) or not isinstance(state, _fastlock.LockState) or state is not getattr(
            lock, "_state", None):
        raise RuntimeError("%s made without attaching, or its lock state replaced: attach it with "
                           "multiprocess4j.attach_lock or attach" % type(obj).__name__)
    return lock


def _seconds(timeout):
    """A timeout in seconds as multiprocessing.Lock takes it: None waits for ever, a negative one is 0; NaN, which
    would wait for ever, is refused."""
    if timeout is None:
        return None
    if not isinstance(timeout, numbers.Real):
        raise TypeError("timeout must be a number of seconds or None, not %s" % type(timeout).__name__)
    try:
        seconds = float(timeout)
    except OverflowError:
        shown = ("an integer of %d bits" % timeout.bit_length() if isinstance(timeout, numbers.Integral)
                 else type(timeout).__name__)
        raise OverflowError("timeout must be a number of seconds that fits a float (at most %r): timeout=%s"
                            % (sys.float_info.max, shown)) from None
    if math.isnan(seconds):
        raise ValueError("timeout must be a number of seconds or None, not NaN")
    return max(0.0, seconds)


_LOCKS = weakref.WeakSet()  # every lock of this process, for _after_fork


def _after_fork():
    """In a forked child, which is another process: its identity, and no lock held or box filled by a thread of
    the parent (the child's threads may get those threads' idents back)."""
    F.refresh_self()
    _SELF[0] = _self_word()
    _SELF_ARG.value = _SELF[0]
    for lock in list(_LOCKS):
        lock._state.thread = 0
        lock._state.depth = 0
        lock._boxes = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


@with_by_machine_code
class ProcessCondition:
    """A condition bound to a shared lock, interoperating with Java's ProcessCondition.

    wait() and notify() as threading.Condition, called with the lock held. A notify() may end more than one wait
    (spurious wake-ups are part of the contract, as in threading.Condition's documentation): loop on the
    predicate, or use wait_for.
    """

    __slots__ = ("__lock_state", "__dict__", "__weakref__")  # the lock's state, for the machine code's with
    _state_slot = "_ProcessCondition__lock_state"

    def __init__(self, lock, arena, address, handle_text):
        A.require()
        self.__lock_state = lock._state
        self._lock = lock
        self._arena = arena
        self._seq = address
        self._broadcasts = address + 4
        self._handle = handle_text

    @property
    def handle(self):
        return self._handle

    def __enter__(self):
        self._lock._enter_undone_on_error()
        return True

    def __exit__(self, *exc):
        self._lock._exit()

    def acquire(self, *args, **kwargs):
        return self._lock.acquire(*args, **kwargs)

    def release(self):
        self._lock.release()

    def wait(self, timeout=None):
        """Releases the lock, sleeps until notified (or timeout seconds), takes the lock again. False on timeout."""
        self._check_owned("wait")
        timeout = _seconds(timeout)
        seen = A.load4(self._seq) & ~1
        deadline = None if timeout is None else time.monotonic() + timeout
        saved = self._lock._release_save()
        slice_ = SLEEP_SLICE * 5
        try:
            while True:
                v = A.load4(self._seq)
                if v & ~1 != seen:
                    return True
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return False
                if not v & 1:
                    A.cas4(self._seq, v, v | 1)  # SLEEPERS: a signal must wake the word's sleepers
                    continue
                left = slice_ if deadline is None else min(slice_, deadline - now)
                A.futex_wait(self._seq, v, left)
                slice_ = min(2 * slice_, MAX_SLEEP_SLICE)
        finally:
            self._lock._acquire_restore(saved)

    def _check_owned(self, what):
        if not self._lock._is_owned():
            raise RuntimeError("cannot %s on un-acquired lock" % what)  # as threading.Condition

    def wait_for(self, predicate, timeout=None):
        timeout = _seconds(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        result = predicate()
        while not result:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            self.wait(left)
            result = predicate()
        return result

    def notify(self, n=1):
        """Wakes at least one waiter, if there is one (any process, Java or Python)."""
        self._check_owned("notify")
        if not isinstance(n, numbers.Integral):
            raise TypeError("n must be an integer, not %s" % type(n).__name__)
        if n >= 1024:  # as Java's signal(n): wakes all (more than n is a spurious wake-up, which wait allows)
            self.notify_all()
            return
        for _ in range(n):
            old = A.fetch_add4(self._seq, 2)
            if old & 1 and A.futex_wake(self._seq, 1) == 0:
                A.fetch_and4(self._seq, ~1)  # nobody slept: clear SLEEPERS, then wake any who slipped in
                A.futex_wake(self._seq, 0x7FFFFFFF)

    def notify_all(self):
        self._check_owned("notify")
        A.fetch_add4(self._broadcasts, 1)
        old = A.fetch_add4(self._seq, 2)
        if old & 1:
            A.fetch_and4(self._seq, ~1)
            A.futex_wake(self._seq, 0x7FFFFFFF)

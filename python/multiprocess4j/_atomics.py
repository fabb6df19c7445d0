"""Atomic operations and futexes for the locks, without a compiler: GCC's libatomic and the C library's
syscall(), through ctypes. (CPython has no atomic read-modify-write of its own for shared memory.)"""
import ctypes
import ctypes.util
import errno
import os
import platform

_RELAXED, _ACQUIRE, _RELEASE, _SEQ_CST = 0, 2, 3, 5
_SYS_FUTEX = {"x86_64": 202, "aarch64": 98}
FUTEX_WAIT, FUTEX_WAKE = 0, 1  # shared futexes: no FUTEX_PRIVATE_FLAG, the word is in memory other processes map


def _load_libatomic():
    names = [ctypes.util.find_library("atomic"), "libatomic.so.1", "libatomic.so"]
    for name in names:
        if name:
            try:
                return ctypes.CDLL(name)
            except OSError:
                pass
    raise ImportError("multiprocess4j's locks need GCC's libatomic (libatomic.so.1, package libatomic1 on "
                      "Debian and Ubuntu, libatomic on Fedora): it was not found. Values and arrays attach "
                      "without it; locks and synchronized objects do not.")


_lib = None
_libc = ctypes.CDLL(None, use_errno=True)
_sys_futex = _SYS_FUTEX.get(platform.machine())


def _atomics():
    global _lib
    if _lib is None:
        lib = _load_libatomic()
        u64, u32, p = ctypes.c_uint64, ctypes.c_uint32, ctypes.c_void_p
        lib.__atomic_load_8.argtypes = [p, ctypes.c_int]
        lib.__atomic_load_8.restype = u64
        lib.__atomic_exchange_8.argtypes = [p, u64, ctypes.c_int]
        lib.__atomic_exchange_8.restype = u64
        lib.__atomic_compare_exchange_8.argtypes = [p, p, u64, ctypes.c_int, ctypes.c_int]
        lib.__atomic_compare_exchange_8.restype = ctypes.c_bool
        lib.__atomic_load_4.argtypes = [p, ctypes.c_int]
        lib.__atomic_load_4.restype = u32
        lib.__atomic_fetch_add_4.argtypes = [p, u32, ctypes.c_int]
        lib.__atomic_fetch_add_4.restype = u32
        lib.__atomic_fetch_and_4.argtypes = [p, u32, ctypes.c_int]
        lib.__atomic_fetch_and_4.restype = u32
        lib.__atomic_compare_exchange_4.argtypes = [p, p, u32, ctypes.c_int, ctypes.c_int]
        lib.__atomic_compare_exchange_4.restype = ctypes.c_bool
        _lib = lib
    return _lib


_fast = None
SEQ_CST = ctypes.c_int(_SEQ_CST)  # the memory order, made once for the fast paths


def fast_paths():
    """The locks' fast-path functions, compare-and-swap and exchange of 8 bytes, from a handle of their own that
    declares no argument types: callers pass ctypes objects made once (address, expected box, new value,
    SEQ_CST), which skips the conversion of every argument (40% of a call)."""
    global _fast
    if _fast is None:
        lib = ctypes.CDLL(require()._name)
        cas = getattr(lib, "__atomic_compare_exchange_8")
        cas.restype = ctypes.c_bool
        exchange = getattr(lib, "__atomic_exchange_8")
        exchange.restype = ctypes.c_uint64
        _fast = (cas, exchange)
    return _fast


def require():
    """Loads the atomics now, raising ImportError with what to install when they are missing; returns the
    library, whose functions the locks' fast paths call directly."""
    lib = _atomics()
    if _sys_futex is None:
        raise ImportError("multiprocess4j's locks run on Linux x86-64 and aarch64; this is %s"
                          % platform.machine())
    return lib


def load8(address):
    return _atomics().__atomic_load_8(address, _SEQ_CST)


def exchange8(address, value):
    return _atomics().__atomic_exchange_8(address, value, _SEQ_CST)


def cas8(address, expected, new):
    """Compare-and-swap of 8 bytes; True when the word held expected and now holds new."""
    box = ctypes.c_uint64(expected)
    return _atomics().__atomic_compare_exchange_8(address, ctypes.addressof(box), new, _SEQ_CST, _SEQ_CST)


def load4(address):
    return _atomics().__atomic_load_4(address, _SEQ_CST)


def fetch_add4(address, delta):
    return _atomics().__atomic_fetch_add_4(address, delta & 0xFFFFFFFF, _SEQ_CST)


def fetch_and4(address, mask):
    return _atomics().__atomic_fetch_and_4(address, mask & 0xFFFFFFFF, _SEQ_CST)


def cas4(address, expected, new):
    box = ctypes.c_uint32(expected)
    return _atomics().__atomic_compare_exchange_4(address, ctypes.addressof(box), new & 0xFFFFFFFF, _SEQ_CST,
                                                  _SEQ_CST)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_libc.syscall.restype = ctypes.c_long


def futex_wait(address, expected, seconds):
    """Sleeps while the 32-bit word at address holds expected, at most seconds (None: no limit). The GIL is
    released meanwhile (ctypes releases it around foreign calls)."""
    if seconds is None:
        ts = None
    else:
        seconds = max(0.0, seconds)
        ts = ctypes.byref(_Timespec(int(seconds), int((seconds % 1) * 1e9)))
    r = _libc.syscall(ctypes.c_long(_sys_futex), ctypes.c_void_p(address), ctypes.c_int(FUTEX_WAIT),
                      ctypes.c_uint32(expected & 0xFFFFFFFF), ts, None, ctypes.c_int(0))
    if r == -1:
        e = ctypes.get_errno()
        if e not in (errno.EAGAIN, errno.ETIMEDOUT, errno.EINTR):
            raise OSError(e, "futex wait failed: " + os.strerror(e))
        return False
    return True


def futex_wake(address, count):
    r = _libc.syscall(ctypes.c_long(_sys_futex), ctypes.c_void_p(address), ctypes.c_int(FUTEX_WAKE),
                      ctypes.c_int(count), None, None, ctypes.c_int(0))
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, "futex wake failed: " + os.strerror(e))
    return r

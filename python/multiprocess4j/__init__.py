"""multiprocess4j for Python: attach to the shared values, arrays, structures and robust locks that Java
programs create with multiprocess4j, in the same memory, with the same C layout and the same locks.

    import multiprocess4j
    n = multiprocess4j.attach(handle_text)       # a handle string from the Java side
    with n.get_lock():
        n.value += 1

The creating JVM owns the memory: attaching works while that process runs and the object is open there, and a
handle to memory it has freed is refused. Standard library only (ctypes, mmap); numpy is used by as_numpy()
when it is installed; locks need GCC's libatomic (libatomic.so.1), present wherever GCC's runtime is.
"""
import ctypes

from . import _format as F
from ._format import AttachError
from ._locks import ProcessCondition, ProcessLock, ProcessRLock
from ._objects import SharedArray, Synchronized, SynchronizedArray, SynchronizedStructure, synchronized_structure

__all__ = ["attach", "attach_lock", "AttachError", "ProcessLock", "ProcessRLock", "ProcessCondition",
           "SharedArray", "Synchronized", "SynchronizedArray", "SynchronizedStructure"]
__version__ = "0.3.0"


def _lock_from(h):
    """The lock a decoded handle (its own, or a lock part) names, attached."""
    if h.signature not in ("L", "R"):
        raise F._bad(h.text, "does not name a ProcessLock or ProcessRLock (signature '%s')" % F._shown(h.signature))
    if h.lock is not None:
        raise F._bad(h.text, "names a lock with a lock part of its own")
    if h.nbytes != 64 or h.view != 0 or h.count != 1 or h.block % 64 != 0 or h.stride:
        raise F._bad(h.text, "names a lock with a bad size or alignment")
    arena = F.Arena.of(h)
    at = arena.check_block(h)
    kind = int.from_bytes(arena.map[at + 24:at + 28], "little")
    want = 1 if h.kind == "L" else 2
    if kind != want:
        raise F._bad(h.text, "names a block whose lock kind is %d, not %d" % (kind, want))
    cls = ProcessLock if h.kind == "L" else ProcessRLock
    return cls(arena, arena.address + at, h.text)


def attach_lock(handle):
    """The ProcessLock, ProcessRLock or ProcessCondition (with its lock) a handle names."""
    h = F.decode(str(handle))
    if h.kind == "C":
        if h.lock is None or h.nbytes != 16 or h.view != 0 or h.count != 1 or h.block % 8 != 0:
            raise F._bad(h.text, "names a condition with a bad size, alignment or no lock")
        lock = _lock_from(h.lock)
        arena = F.Arena.of(h)
        at = arena.check_block(h)
        if int.from_bytes(arena.map[at + 8:at + 12], "little") != 3:
            raise F._bad(h.text, "names a block that is not a condition")
        return ProcessCondition(lock, arena, arena.address + at, h.text)
    return _lock_from(h)


def attach(handle):
    """The shared value, array or structure a handle names, in this process's memory.

    A value gives an object with .value (a ctypes object, or a Synchronized wrapper whose .value takes the
    lock); an array an object that indexes and slices like multiprocessing.Array (SharedArray, or
    SynchronizedArray); a structure an instance of a ctypes.Structure subclass built from the layout the
    handle carries (or a SynchronizedStructure around it). A lock's or condition's handle gives attach_lock's.
    """
    h = F.decode(str(handle))
    if h.kind in "LRC":
        return attach_lock(h.text)
    if h.kind in "SEBQ":
        raise F._bad(h.text, "names a %s, which this Python package does not attach yet"
                     % {"S": "semaphore", "E": "event", "B": "barrier", "Q": "queue"}[h.kind])
    sig = h.signature[1:]
    if sig.startswith("{"):
        at_sign = sig.rfind("@")
        if at_sign < 0:
            raise F._bad(h.text, "has a structure signature that names no class")
        sig = sig[:at_sign]
    ctype = F.ctype_of(sig, h.text)
    if h.kind == "v" and issubclass(ctype, ctypes.Array):  # no writer names one: an array's handle is of kind 'a'
        raise F._bad(h.text, "names a value of an array type, which only an array's handle does")
    size = ctypes.sizeof(ctype)
    stride = h.stride or size
    if h.stride and (h.kind != "a" or h.count < 2 or stride <= size or stride % ctypes.alignment(ctype)):
        raise F._bad(h.text, "has a stride that does not fit its elements")
    span = 0 if h.count == 0 else (h.count - 1) * stride + size
    if h.nbytes != span or (h.kind == "v" and h.count != 1):
        raise F._bad(h.text, "has a size that does not match its type %s: bytes=%d, count=%d (this Python's "
                     "ctypes lays the type out in %d bytes)" % (ctype.__name__, h.nbytes, h.count, size))
    if (h.block + h.view) % ctypes.alignment(ctype):
        raise F._bad(h.text, "names an object that is not aligned for its type")
    lock = _lock_from(h.lock) if h.lock is not None else None
    arena = F.Arena.of(h)
    at = arena.check_block(h)
    if h.kind == "v":
        obj = F.from_buffer(F.guarded_scalar(ctype), arena.map, at)
        if lock is None:
            return obj
        if issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            return synchronized_structure(obj, lock)
        return Synchronized(obj, lock)
    obj = SharedArray(arena, at, ctype, h.count, h.stride, h.text)
    return obj if lock is None else SynchronizedArray(obj, lock)

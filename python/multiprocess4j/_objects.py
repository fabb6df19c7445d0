"""Shared values, arrays and structures attached from handles, as multiprocessing.sharedctypes shapes them."""
import ctypes
import operator

from . import _format as F
from . import _locks


def _numpy():
    try:
        import numpy
    except ImportError:
        raise ImportError("as_numpy() needs numpy, which is not installed here") from None
    return numpy


_COMPOSITE = (ctypes.Structure, ctypes.Union, ctypes.Array)


class SharedArray:
    """A raw shared array: indexes, slices and iterates like multiprocessing's RawArray (a ctypes array), with
    value/raw for c_char arrays, value for c_wchar arrays, and as_numpy()."""

    def __init__(self, arena, offset, ctype, count, stride, handle_text):
        self._arena = arena
        self._offset = offset
        self._type = ctype
        self._count = count
        self._stride = stride or ctypes.sizeof(ctype)
        self._handle = handle_text
        self._contiguous = self._stride == ctypes.sizeof(ctype)
        self._obj = F.from_buffer(ctype * count, arena.map, offset) if self._contiguous else None
        self._check = F.deep_check(ctype)  # None where no part of the type has a range
        self._low, self._high = F.bounds(ctype) or (1, 0)  # a plain int within them needs no look

    @property
    def handle(self):
        return self._handle

    def __len__(self):
        return self._count

    def _element(self, i):
        return F.from_buffer(self._type, self._arena.map, self._offset + i * self._stride)

    def _index(self, i):
        try:
            i = operator.index(i)
        except TypeError:
            raise TypeError("indices must be integers or slices, not %s" % type(i).__name__) from None
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise self._out_of_range(i)
        return i

    def _out_of_range(self, i):
        return IndexError("index out of range: %s for length %d" % (i, self._count))

    def __getitem__(self, i):
        if self._obj is not None:
            try:
                return self._obj[i]
            except IndexError:
                raise self._out_of_range(i) from None
        if isinstance(i, slice):
            values = [self[k] for k in range(*i.indices(self._count))]
            return (b"".join(values) if self._type is ctypes.c_char else "".join(values)
                    if self._type is ctypes.c_wchar else values)
        element = self._element(self._index(i))
        return element if issubclass(self._type, _COMPOSITE) else element.value

    def __setitem__(self, i, value):
        check = self._check
        if check is not None:  # a value the type cannot hold is refused before anything is written
            low, high = self._low, self._high
            if isinstance(i, slice):
                value = [v if type(v) is int and low <= v <= high else check(v) for v in value]
            elif type(value) is not int or not low <= value <= high:
                value = check(value)
        if self._obj is not None:
            try:
                self._obj[i] = value
            except IndexError:
                raise self._out_of_range(i) from None
            return
        if isinstance(i, slice):
            indices = range(*i.indices(self._count))
            values = list(value)
            if len(values) != len(indices):
                raise ValueError("can only assign a sequence of the same size")
            for k, v in zip(indices, values):
                self[k] = v
            return
        element = self._element(self._index(i))
        if not issubclass(self._type, _COMPOSITE):
            element.value = value
            return
        # As a ctypes array's element: an instance of the element's type, or a tuple of its fields or elements.
        if isinstance(value, tuple):
            value = self._type(*value)
        if not isinstance(value, self._type):
            raise TypeError("expected %s instance, got %s" % (self._type.__name__, type(value).__name__))
        ctypes.memmove(ctypes.addressof(element), ctypes.addressof(value), ctypes.sizeof(self._type))

    def __iter__(self):
        for i in range(self._count):
            yield self[i]

    @property
    def value(self):
        if self._type not in (ctypes.c_char, ctypes.c_wchar):
            raise AttributeError("value is for c_char and c_wchar arrays")
        if self._obj is not None:
            return self._obj.value
        items = self[:]
        end = items.find(b"\0") if self._type is ctypes.c_char else "".join(items).find("\0")
        return (items if self._type is ctypes.c_char else "".join(items))[:None if end < 0 else end]

    @value.setter
    def value(self, text):
        if self._type not in (ctypes.c_char, ctypes.c_wchar):
            raise AttributeError("value is for c_char and c_wchar arrays")
        if len(text) > self._count:
            raise ValueError("string too long: %d for an array of %d" % (len(text), self._count))
        if self._obj is not None:
            self._obj.value = text
            return
        chars = [text[k:k + 1] for k in range(len(text))]
        self[:len(chars)] = chars
        if len(chars) < self._count:
            self[len(chars)] = b"\0" if self._type is ctypes.c_char else "\0"

    @property
    def raw(self):
        if self._type is not ctypes.c_char:
            raise AttributeError("raw is for c_char arrays")
        return self._obj.raw if self._obj is not None else self[:]

    @raw.setter
    def raw(self, data):
        if self._type is not ctypes.c_char:
            raise AttributeError("raw is for c_char arrays")
        if len(data) > self._count:
            raise ValueError("bytes too long: %d for an array of %d" % (len(data), self._count))
        self[:len(data)] = [data[k:k + 1] for k in range(len(data))]

    def as_numpy(self):
        """A numpy view of the same memory, zero-copy (a structured dtype for an array of structures)."""
        np = _numpy()
        try:  # numpy's 'U1' is ctypes' c_wchar here: 4 bytes, UCS-4, as Linux's wchar_t
            dtype = np.dtype("<U1") if self._type is ctypes.c_wchar else np.dtype(self._type)
        except TypeError as e:
            raise TypeError("as_numpy(): numpy has no dtype for %s (%s)" % (self._type.__name__, e)) from None
        return np.ndarray((self._count,), dtype, buffer=self._arena.map, offset=self._offset,
                          strides=(self._stride,))

    def __repr__(self):
        return "<%s of %d %s>" % (type(self).__name__, self._count, self._type.__name__)


@_locks.with_by_machine_code
class Synchronized:
    """A synchronized shared value: every .value access takes the object's lock, as multiprocessing's does, and
    `with v:` holds it (giving True, as multiprocessing's wrappers do)."""

    __slots__ = ("__lock_state", "__dict__", "__weakref__")  # the lock's state, for the machine code's with
    _state_slot = "_Synchronized__lock_state"  # (a name no structure field takes)

    def __init__(self, obj, lock):
        object.__setattr__(self, "_Synchronized__lock_state", lock._state)
        self._obj = obj
        self._lock = lock
        # Whether to look if the thread holds the lock before taking it: a ProcessLock's holder reads and writes
        # on without taking it again; and where the locks' machine code does not run, looking costs less than
        # re-entering a ProcessRLock.
        self._look = not lock._rlock or _locks.FAST_LOCKS_UNUSED_BECAUSE is not None
        self.acquire = lock.acquire
        self.release = lock.release
        # A value with a range is read and written here through a plain ctypes view of the same memory (obj keeps
        # it mapped), after the look obj's guarded type makes: as fast as ctypes' own value.
        kind = type(obj)
        guarded = F.is_guarded_scalar(kind)
        self._plain = kind.__mro__[1].from_address(ctypes.addressof(obj)) if guarded else obj
        self._check = kind._check if guarded else None
        self._low, self._high = kind._bounds if guarded else (1, 0)

    def _locked(self, action, *args):
        """action(*args) under the lock, which a thread that holds it already does not take again."""
        if self._look and self._lock._is_owned():
            return action(*args)
        with self._lock:
            return action(*args)

    def get_lock(self):
        return self._lock

    def get_obj(self):
        return self._obj

    def __enter__(self):
        self._lock._enter_undone_on_error()
        return True

    def __exit__(self, *exc):
        self._lock._exit()

    @property
    def value(self):
        if self._look and self._lock._is_owned():  # with v.get_lock(): ... holds it already
            return self._plain.value
        with self._lock:
            return self._plain.value

    @value.setter
    def value(self, v):
        if self._check is not None and (type(v) is not int or not self._low <= v <= self._high):
            v = self._check(v)  # refused before the lock is taken
        if self._look and self._lock._is_owned():
            self._plain.value = v
            return
        with self._lock:
            self._plain.value = v

    def __repr__(self):
        return "<Synchronized wrapper for %r>" % (self._obj,)


class SynchronizedArray(Synchronized):
    """A synchronized shared array: each index or slice access takes the lock (unless this thread holds it)."""

    def __len__(self):
        return len(self._obj)

    def __getitem__(self, i):
        return self._locked(self._obj.__getitem__, i)

    def __setitem__(self, i, value):
        self._locked(self._obj.__setitem__, i, value)

    def __iter__(self):
        return iter(self._locked(self._obj.__getitem__, slice(None)))

    @property
    def value(self):
        return self._locked(getattr, self._obj, "value")

    @value.setter
    def value(self, v):
        self._locked(setattr, self._obj, "value", v)

    @property
    def raw(self):
        return self._locked(getattr, self._obj, "raw")

    @raw.setter
    def raw(self, v):
        self._locked(setattr, self._obj, "raw", v)

    def as_numpy(self):
        """A numpy view of the memory: its accesses do not take the lock (hold get_lock() around them)."""
        return self._obj.as_numpy()


class SynchronizedStructure(Synchronized):
    """A synchronized structure: reading or writing a field takes the lock, unless this thread holds it (nested
    structures and arrays come back as views of the raw memory, as multiprocessing's synchronized wrapper gives
    them). Each field is a property of a class made for the structure type; a field named as the wrapper's own
    attributes (acquire, release, get_lock, get_obj) is reached through get_obj()."""

    def __repr__(self):
        return "<SynchronizedStructure wrapper for %r>" % (self._obj,)


# A field named as anything of the wrapper's own (its methods, _locked included, and its instance attributes) would
# hide it: such a field is reached through get_obj().
_WRAPPER_NAMES = frozenset(dir(SynchronizedStructure)) | {"_obj", "_lock", "_look", "_plain", "_check", "_low", "_high",
                                                         "acquire", "release"}
_synchronized_classes = {}


def _locked_field(name):
    def get(self):
        return self._locked(getattr, self._obj, name)

    def put(self, value):
        self._locked(setattr, self._obj, name, value)

    return property(get, put, doc="field %s, under the lock" % name)


def synchronized_structure(obj, lock):
    """A SynchronizedStructure for a ctypes structure (or union) obj, guarded by lock."""
    kind = type(obj)
    cls = _synchronized_classes.get(kind)
    if cls is None:
        fields = {f[0]: _locked_field(f[0]) for f in kind._fields_ if f[0] not in _WRAPPER_NAMES}
        cls = type("Synchronized" + kind.__name__, (SynchronizedStructure,), fields)
        if len(_synchronized_classes) >= F.MAX_STRUCTS:  # as the structure types: bounded
            _synchronized_classes.clear()
        _synchronized_classes[kind] = cls
    return cls(obj, lock)

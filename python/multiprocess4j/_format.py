"""The shared format both languages implement: handles, arena and block headers, type signatures.

Everything here follows docs/FORMAT.md of this repository. A handle is hostile input: every number is checked
before anything is opened or mapped, and a refusal names the handle and the rule.
"""
import base64
import ctypes
import mmap
import operator
import os
import re
import stat as _stat
import struct as _struct
import sys
import unicodedata
import weakref

PREFIX = "mp4j1"
FIELDS = 12
MAX_LENGTH = 65536
MAGIC = 0x4D50344A41524E41
VERSION = 2
HEADER_SIZE = 64
BLOCK_LIVE = 0x4D50344A
KINDS = "vaLRCSEBQ"
MAX_DIMENSIONS = 32

if sys.byteorder != "little":
    raise ImportError("multiprocess4j shares memory on little-endian Linux (x86-64, aarch64) only")


class AttachError(ValueError):
    """A handle that cannot be attached: malformed, of another kind, or naming memory that no longer exists."""


def _shown(text):
    return text if len(text) <= 200 else text[:200] + "..."


def _bad(handle, rule):
    return AttachError("handle %s: handle='%s'" % (rule, _shown(handle)))


class Handle:
    """A decoded handle: what its string form says, checked for range but not yet attached."""

    __slots__ = ("text", "pid", "start_time", "fd", "arena_id", "arena_size", "block", "generation", "view",
                 "nbytes", "count", "stride", "signature", "lock")

    @property
    def kind(self):
        return self.signature[0]


def _digits(text, most):
    """Whether text is a number as the format writes it: 1 to most ASCII digits without a leading zero (int() would
    take other scripts' digits, leading zeros, and slowly, many). One object, one text: FORMAT.md."""
    return 0 < len(text) <= most and text.isascii() and text.isdigit() and (len(text) == 1 or text[0] != "0")


def _number(field, text, whole):
    if not _digits(field, 19):
        raise _bad(whole, "has a field that is not a number in range: " + repr(field[:40]))
    value = int(field)
    if value > 2 ** 63 - 1:
        raise _bad(whole, "has a field that is not a number in range: " + field[:40])
    return value


def _decode_one(own, whole, lock):
    f = own.split(":")
    if len(f) != FIELDS or f[0] != PREFIX:
        raise _bad(whole, "must have %d ':'-separated fields starting with %s" % (FIELDS, PREFIX))
    h = Handle()
    h.text = whole
    h.pid = _number(f[1], f[1], whole)
    h.start_time = _number(f[2], f[2], whole)
    h.fd = _number(f[3], f[3], whole)
    if h.fd > 2 ** 31 - 1:
        raise _bad(whole, "has a descriptor out of range")
    if not _LOWER_HEX.fullmatch(f[4]):
        raise _bad(whole, "has an arena id that is not 1 to 16 lower-case hexadecimal digits without leading "
                           "zeros")
    h.arena_id = int(f[4], 16)
    h.arena_size = _number(f[5], f[5], whole)
    h.block = _number(f[6], f[6], whole)
    h.generation = _number(f[7], f[7], whole)
    if h.generation >= 2 ** 32:
        raise _bad(whole, "has a generation out of range")
    h.view = _number(f[8], f[8], whole)
    h.nbytes = _number(f[9], f[9], whole)
    count, slash, stride = f[10].partition("/")
    h.count = _number(count, count, whole)
    h.stride = _number(stride, stride, whole) if slash else 0
    if slash and h.stride == 0:
        raise _bad(whole, "has a stride of 0; a contiguous array's handle has none")
    try:
        sig = f[11]
        h.signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise _bad(whole, "has a type signature that is not base64url") from None
    if base64.urlsafe_b64encode(h.signature.encode("utf-8")).decode("ascii").rstrip("=") != sig:
        raise _bad(whole, "has a type signature that is not the unpadded base64url of UTF-8 text")
    if not h.signature or h.signature[0] not in KINDS:
        raise _bad(whole, "has a signature that names no kind of object (one of %s)" % KINDS)
    h.lock = lock
    return h


_LOWER_HEX = re.compile("0|[1-9a-f][0-9a-f]{0,15}")


def decode(text):
    """Decodes a handle's string form (linear time, no recursion: a lock part names no lock of its own)."""
    if not isinstance(text, str):
        raise AttachError("handle must be a str, not %s" % type(text).__name__)
    if len(text) > MAX_LENGTH:
        raise _bad(text, "must be at most %d characters long, is %d" % (MAX_LENGTH, len(text)))
    own, plus, lock_text = text.partition("+")
    if not plus:
        return _decode_one(text, text, None)
    if "+" in lock_text:
        raise _bad(text, "may name one lock, and a lock's handle names no lock of its own")
    lock = _decode_one(lock_text, text, None)
    lock.text = lock_text
    return _decode_one(own, text, lock)


# ---- processes -------------------------------------------------------------------------------------------------

def process_start_time(pid):
    """The start time of a process in clock ticks (field 22 of /proc/<pid>/stat), or None when it does not run."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read()
    except OSError:
        return None
    rest = stat[stat.rfind(b")") + 2:].split()
    if rest[0] == b"Z":  # a zombie runs no more
        return None
    return int(rest[19])


SELF_PID = os.getpid()
SELF_START = process_start_time(SELF_PID)


def refresh_self():
    """After a fork, this process is another one."""
    global SELF_PID, SELF_START
    SELF_PID = os.getpid()
    SELF_START = process_start_time(SELF_PID)


# ---- arenas ----------------------------------------------------------------------------------------------------

HUGE_PAGE = 2 << 20
_PROT_NONE, _MAP_FIXED = 0, 0x10  # Linux's values, which the mmap module does not export
_libc = None


def _map_shared(fd, size):
    """The arena's mapping, read and write, as a writable buffer. One of a huge page or more is placed at an
    address aligned to 2 MiB, as its file offsets are, so that the huge pages its creating JVM moved it onto are
    mapped as such (a numpy sum of 100M doubles: 50 ms unaligned, 45 aligned; 70 on small pages). Where that
    mapping fails, a plain mmap."""
    if size >= HUGE_PAGE and sys.platform.startswith("linux"):
        global _libc
        try:
            if _libc is None:
                libc = ctypes.CDLL(None, use_errno=True)
                libc.mmap.restype = ctypes.c_void_p
                libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_long]
                libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
                _libc = libc
            failed = ctypes.c_void_p(-1).value
            reserved = _libc.mmap(None, size + HUGE_PAGE, _PROT_NONE, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                                  -1, 0)
            if reserved not in (None, failed):
                start = (reserved + HUGE_PAGE - 1) & -HUGE_PAGE
                mapped = _libc.mmap(start, size, mmap.PROT_READ | mmap.PROT_WRITE, mmap.MAP_SHARED | _MAP_FIXED, fd, 0)
                if start > reserved:
                    _libc.munmap(reserved, start - reserved)
                if reserved + size + HUGE_PAGE > start + size:
                    _libc.munmap(start + size, reserved + size + HUGE_PAGE - start - size)
                if mapped == start:
                    # Unmapped when the last object made from it goes (each keeps it, as from_buffer does).
                    buffer = type("_Mapping", (ctypes.c_char * size,), {}).from_address(start)
                    # Not at exit: daemon threads and earlier atexit handlers may still use the memory then.
                    weakref.finalize(buffer, _libc.munmap, start, size).atexit = False
                    return buffer
                _libc.munmap(start, size)  # the reservation's part, mapped or not
        except (OSError, AttributeError):
            pass
    return mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)


class Arena:
    """One mapped arena, checked against the handle that named it; shared by every object attached from it, and
    unmapped once none uses it (objects keep their arena, or the mapping itself, alive)."""

    _open = weakref.WeakValueDictionary()

    def __init__(self, handle):
        path = "/proc/%d/fd/%d" % (handle.pid, handle.fd)
        started = process_start_time(handle.pid)
        if started != handle.start_time:
            raise _bad(handle.text, "names a creator that no longer runs (pid %d, start time %d; now %s): the "
                                    "creating process owns the memory" % (handle.pid, handle.start_time, started))
        if handle.arena_size < HEADER_SIZE:
            raise _bad(handle.text, "names an arena smaller than its header")
        # Looked at through a descriptor that opens nothing (O_PATH: a device's or a pipe's open never runs), then
        # opened through that descriptor, which the creator cannot change, and looked at again.
        try:
            at = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as e:
            raise _bad(handle.text, "names an arena that cannot be opened (%s: %s)" % (path, e.strerror)) from None
        try:
            self._check_file(handle, path, os.fstat, at)
            fd = os.open("/proc/self/fd/%d" % at, os.O_RDWR | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as e:
            raise _bad(handle.text, "names an arena that cannot be opened (%s: %s)" % (path, e.strerror)) from None
        finally:
            os.close(at)
        try:
            self._check_file(handle, path, os.fstat, fd)  # the file opened, whatever the link named meanwhile
            try:
                self.map = _map_shared(fd, handle.arena_size)
            except OSError as e:
                raise _bad(handle.text, "names a file that cannot be mapped (%s: %s)" % (path, e.strerror)) from None
        finally:
            os.close(fd)
        self.fd = handle.fd
        self.size = handle.arena_size
        self.address = ctypes.addressof(ctypes.c_char.from_buffer(self.map))
        magic, version, header, pid, start, arena_id, size = _struct.unpack_from("<QIIQQQQ", self.map, 0)
        expected = (MAGIC, VERSION, HEADER_SIZE, handle.pid, handle.start_time, handle.arena_id, handle.arena_size)
        names = ("magic", "version", "header size", "creator pid", "creator start time", "arena id", "arena size")
        for name, found, want in zip(names, (magic, version, header, pid, start, arena_id, size), expected):
            if found != want:
                raise _bad(handle.text, "names an arena whose %s does not match: handle=%d arena=%d"
                           % (name, want, found))

    @staticmethod
    def _check_file(handle, path, stat, target):
        try:
            st = stat(target)
        except OSError as e:
            raise _bad(handle.text, "names an arena that cannot be opened (%s: %s)" % (path, e.strerror)) from None
        if not _stat.S_ISREG(st.st_mode) or st.st_size != handle.arena_size:
            raise _bad(handle.text, "names a file that is not an arena of %d bytes (%s: %s of %d bytes)"
                       % (handle.arena_size, path, "a file" if _stat.S_ISREG(st.st_mode) else "not a file",
                          st.st_size))

    @classmethod
    def of(cls, handle):
        key = (handle.pid, handle.start_time, handle.arena_id)
        arena = cls._open.get(key)
        if arena is None:
            arena = cls(handle)
            cls._open[key] = arena
        elif arena.fd != handle.fd or arena.size != handle.arena_size:
            raise _bad(handle.text, "names arena %x with descriptor %d and size %d, which is open here with "
                       "descriptor %d and size %d" % (handle.arena_id, handle.fd, handle.arena_size, arena.fd,
                                                      arena.size))
        return arena

    def check_block(self, handle):
        """Checks the block header: live, of the handle's generation, and large enough for the object."""
        if handle.block < HEADER_SIZE + 16 or handle.block > handle.arena_size:
            raise _bad(handle.text, "names a block outside its arena")
        tag, size = _struct.unpack_from("<QQ", self.map, handle.block - 16)
        if tag >> 32 != BLOCK_LIVE or tag & 0xFFFFFFFF != handle.generation:
            raise _bad(handle.text, "names freed memory (block tag %#x, generation %d wanted)"
                       % (tag, handle.generation))
        if handle.block + size > handle.arena_size or handle.view + handle.nbytes > size:
            raise _bad(handle.text, "names an object outside its block (view %d + bytes %d > block size %d)"
                       % (handle.view, handle.nbytes, size))
        return handle.block + handle.view


# ---- type signatures -------------------------------------------------------------------------------------------

PRIMITIVES = {
    "c": ctypes.c_char, "b": ctypes.c_byte, "B": ctypes.c_ubyte, "h": ctypes.c_short, "H": ctypes.c_ushort,
    "i": ctypes.c_int, "I": ctypes.c_uint, "l": ctypes.c_long, "L": ctypes.c_ulong, "q": ctypes.c_longlong,
    "Q": ctypes.c_ulonglong, "f": ctypes.c_float, "d": ctypes.c_double, "u": ctypes.c_wchar, "?": ctypes.c_bool,
}

_structs = {}
MAX_STRUCTS = 1024
BIT_FIELD_TYPES = tuple(PRIMITIVES[c] for c in "bBhHiIlLqQ")  # as the Java library allows


class _Reader:
    """Reads a type signature left to right (iteratively for array dimensions; structures nest, bounded)."""

    def __init__(self, text, handle):
        self.text = text
        self.at = 0
        self.handle = handle
        self.depth = 0

    def fail(self, rule):
        raise _bad(self.handle, "has a type signature that %s (at %d of '%s')" % (rule, self.at, _shown(self.text)))

    def peek(self):
        return self.text[self.at] if self.at < len(self.text) else ""

    def take(self, char):
        if self.peek() != char:
            self.fail("lacks '%s'" % char)
        self.at += 1

    def until(self, stops):
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in stops:
            self.at += 1
        return self.text[start:self.at]

    def type(self):
        base = self.struct() if self.peek() == "{" else self.primitive()
        dims = 0
        while self.peek() == "[":
            self.at += 1
            length = self.until("]")
            self.take("]")
            if not _digits(length, 10) or int(length) > 2 ** 31 - 1:
                self.fail("has a bad array length")
            dims += 1
            if dims > MAX_DIMENSIONS:
                self.fail("has more than %d array dimensions" % MAX_DIMENSIONS)
            try:
                base = guarded_array(base, int(length))
            except (OverflowError, ValueError, MemoryError):
                self.fail("has an array larger than this process can address")
        return base

    def primitive(self):
        code = self.peek()
        if code not in PRIMITIVES:
            self.fail("names no typecode")
        self.at += 1
        return PRIMITIVES[code]

    def struct(self):
        start = self.at
        self.depth += 1
        if self.depth > 64:
            self.fail("nests structures too deeply")
        self.take("{")
        name = self.until(";|}")
        if not _java_identifier(name):
            self.fail("names a structure that is not a Java identifier")
        union, pack, order = False, 0, None
        if self.peek() == "|":
            self.at += 1
            rules = self.until(";}")
            i = 0
            if rules[i:i + 1] == "U":
                union, i = True, i + 1
            if rules[i:i + 1] == "P":
                j = i + 1
                while j < len(rules) and rules[j] in "0123456789":
                    j += 1
                pack, i = int(rules[i + 1:j] or "0"), j
                if pack not in (1, 2, 4, 8, 16):
                    self.fail("has a pack that is not 1, 2, 4, 8 or 16")
            if rules[i:i + 1] in (">", "<"):
                order, i = rules[i], i + 1
            if i != len(rules):
                self.fail("has layout rules it does not know")
        fields, names = [], set()
        while self.peek() == ";":
            self.at += 1
            field = self.until(":")
            self.take(":")
            if not _java_identifier(field) or (field.startswith("_") and field.endswith("_")):
                self.fail("names a field that is not a Java identifier, or one ctypes keeps for itself (_name_)")
            if field in names:
                self.fail("names field %s twice" % field)
            names.add(field)
            ftype = self.type()
            if self.peek() == "/":
                self.at += 1
                bits = self.until(";}")
                if ftype not in BIT_FIELD_TYPES:
                    self.fail("has a bit field of a type that is not an integer type (%s)" % ftype.__name__)
                if not _digits(bits, 2) or not 1 <= int(bits) <= 8 * ctypes.sizeof(ftype):
                    self.fail("has a bit field width that is not from 1 to the bits of its type")
                fields.append((field, ftype, int(bits)))
            else:
                fields.append((field, ftype))
        self.take("}")
        self.depth -= 1
        signature = self.text[start:self.at]
        cls = _structs.get(signature)
        if cls is None:
            try:
                cls = _make_struct(name, union, pack, order, fields)
            except (TypeError, ValueError, OverflowError, AttributeError) as e:
                self.fail("ctypes cannot make (%s)" % e)
            problem = _differs_from_c(cls, union, pack, order == ">", fields)
            if problem:
                raise _bad(self.handle, "has a structure %s that this Python's ctypes lays out differently from C "
                                        "(%s): Python's ctypes follows C's bit-field placement only in newer "
                                        "versions" % (name, problem))
            cls = _guard_fields(cls)
            if len(_structs) >= MAX_STRUCTS:  # hostile handles must not grow it without end
                _structs.clear()
            _structs[signature] = cls
        return cls


def _make_struct(name, union, pack, order, fields):
    if order:
        kind = ("BigEndian" if order == ">" else "LittleEndian") + ("Union" if union else "Structure")
        base = getattr(ctypes, kind, None)
        if base is None:  # ctypes has byte-swapped unions from Python 3.11 on
            raise AttachError("structure %s is a %s, which this Python's ctypes lacks (Python 3.11 or newer has it)"
                              % (name, kind))
    else:
        base = ctypes.Union if union else ctypes.Structure
    namespace = {"_fields_": fields}
    if pack:
        namespace["_pack_"] = pack
    return type(name, (base,), namespace)


def _c_layout(fields, union, pack, swapped):
    """Where C (GCC on x86-64 and aarch64 Linux) puts each field, as the Java library computes it: per field the
    byte offset, or for a bit field its storage unit's offset in bits plus the position of the field's lowest bit
    in that unit read as an integer (ctypes' convention too, in either byte order); then the size and the
    alignment."""
    bitpos = end = 0
    align = 1
    places = []
    for field in fields:
        t, bits = field[1], field[2] if len(field) == 3 else 0
        if union:
            bitpos = 0
        size, talign = ctypes.sizeof(t), ctypes.alignment(t)
        if bits and pack:
            places.append(("bits", bitpos))  # packed: at the next free bit, across units
            bitpos += bits
            align = max(align, min(talign, pack))
        elif bits:
            unit = size * 8
            if bitpos // unit != (bitpos + bits - 1) // unit:
                bitpos = -(-bitpos // unit) * unit
            offset = bitpos // unit * size
            shift = bitpos - offset * 8
            places.append(("bits", offset * 8 + (unit - shift - bits if swapped else shift)))
            bitpos += bits
            align = max(align, talign)
        else:
            a = min(talign, pack) if pack else talign
            offset = -(-((bitpos + 7) // 8) // a) * a
            places.append(("byte", offset))
            bitpos = (offset + size) * 8
            align = max(align, a)
        end = max(end, bitpos)
    size = -(-(-(-end // 8)) // align) * align
    return places, size, align


def _differs_from_c(cls, union, pack, swapped, fields):
    """A description of the first place where ctypes' layout of cls is not C's, or None when they agree."""
    places, size, align = _c_layout(fields, union, pack, swapped)
    if ctypes.sizeof(cls) != size or ctypes.alignment(cls) != align:
        return "size %d and alignment %d, where C has %d and %d" % (ctypes.sizeof(cls), ctypes.alignment(cls),
                                                                    size, align)
    for field, (kind, where) in zip(fields, places):
        info = cls.__dict__[field[0]]  # not getattr: no field enters the type cache before it is guarded
        if kind == "byte":
            if info.offset != where:
                return "field %s at offset %d, where C has %d" % (field[0], info.offset, where)
            continue
        width = getattr(info, "bit_size", None)
        shift = getattr(info, "bit_offset", None)
        if width is None:  # before ctypes described bit fields by name: size holds width << 16 | shift
            width, shift = info.size >> 16, info.size & 0xFFFF
        if width != field[2]:
            return "bit field %s of %d bits, where C has %d" % (field[0], width, field[2])
        found = info.offset * 8 + shift  # both count the field's lowest bit in its unit read as an integer
        if found != where:
            return "bit field %s at bit %d, where C has bit %d" % (field[0], found, where)
    return None


def from_buffer(ctype, buffer, offset):
    """ctype.from_buffer(buffer, offset), through ctypes' own method even where a structure's field is named
    from_buffer (Java allows any identifier)."""
    return type(ctype).from_buffer(ctype, buffer, offset)


def ctype_of(signature, handle_text):
    """The ctypes type a signature (without its kind character and '@class' suffix) describes."""
    reader = _Reader(signature, handle_text)
    t = reader.type()
    if reader.at != len(signature):
        reader.fail("has characters after its type")
    return t


def _java_identifier(name):
    """Whether name is a Java identifier, as the Java library requires of a structure's and a field's name (a
    Python identifier is one too; '$' and a few other characters are Java's only, and reached by getattr)."""
    return bool(name) and _java_start(name[0]) and all(map(_java_part, name))


def _java_start(char):
    return unicodedata.category(char) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Sc", "Pc")


def _java_part(char):
    code = ord(char)
    return (_java_start(char) or unicodedata.category(char) in ("Nd", "Mn", "Mc", "Cf")
            or 0 <= code <= 8 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F)


# ---- values in range -------------------------------------------------------------------------------------------
# Java refuses a value its C type cannot hold, where ctypes wraps an integer (300 written into a c_byte reads 44)
# and makes a float past c_float's range an infinity. What this package writes into shared memory obeys Java's
# rule: such a write is an OverflowError naming the value and the range, and writes nothing. A plain int in range,
# the common case, is let through by one comparison where the write is made (see bounds).

_INTEGER_NAMES = {"b": "c_byte", "B": "c_ubyte", "h": "c_short", "H": "c_ushort", "i": "c_int", "I": "c_uint",
                  "l": "c_long", "L": "c_ulong", "q": "c_longlong", "Q": "c_ulonglong"}
_FLOAT_MAX = 3.4028234663852886e38  # FLT_MAX


def _code(ctype):
    """A simple type's typecode (a byte-swapped one's too), or None."""
    code = getattr(ctype, "_type_", None)
    return code if isinstance(code, str) else None


def bounds(ctype, bits=0):
    """(low, high) of an integer type (a bit field of bits, when given), or None for other types."""
    code = _code(ctype)
    if code not in _INTEGER_NAMES:
        return None
    width = bits or 8 * ctypes.sizeof(ctype)
    return (-(1 << width - 1), (1 << width - 1) - 1) if code.islower() else (0, (1 << width) - 1)


def value_check(ctype, bits=0, what=None):
    """A function that returns the value it is given when ctype (a bit field of bits, when given) can hold it,
    and raises OverflowError when it cannot; None for a type that needs no look (ctypes refuses a value of the
    wrong kind itself). what names the place in the message, as 'field flags'."""
    code = _code(ctype)
    where = " (%s)" % what if what else ""
    limits = bounds(ctype, bits)
    if limits is not None:
        low, high = limits
        name = _INTEGER_NAMES[code] + (" bit field of %d bits" % bits if bits else "")

        def check(value):
            try:
                number = operator.index(value)
            except TypeError:
                return value
            if low <= number <= high:
                return value
            raise OverflowError("value out of range for %s%s: value=%d, must be from %d to %d"
                                % (name, where, number, low, high))
        return check
    if code == "f":
        def check(value):
            try:
                number = float(value)
            except (TypeError, ValueError, OverflowError):
                return value
            try:  # C's conversion: to the nearest float, which must be finite when the number is
                _struct.pack("<f", number)
            except OverflowError:
                raise OverflowError("value out of range for c_float%s: value=%r, must round to a finite float, as "
                                    "any number within +-%r (FLT_MAX) does" % (where, value, _FLOAT_MAX)) from None
            return value
        return check
    return None


def _setter(raw_set, check, limits):
    """raw_set(target, value) after check, with a plain int within limits let through at once."""
    if limits is None:
        return lambda target, value: raw_set(target, check(value))
    low, high = limits

    def put(target, value):
        if type(value) is not int or not low <= value <= high:
            value = check(value)
        raw_set(target, value)
    return put


_guarded_scalars = {}


def guarded_scalar(ctype):
    """ctype itself, or for a type with a range a subclass whose value refuses what ctype would wrap (it pickles
    as a plain ctype of its value, as a copy)."""
    check = value_check(ctype)
    if check is None:
        return ctype
    cls = _guarded_scalars.get(ctype)
    if cls is None:
        raw = ctype.value
        cls = type(ctype.__name__, (ctype,), {
            "value": property(raw.__get__, _setter(raw.__set__, check, bounds(ctype)),
                              doc="the value; one its type cannot hold is an OverflowError"),
            "__repr__": lambda self: "%s(%r)" % (ctype.__name__, raw.__get__(self)),
            "__reduce__": lambda self: (ctype, (raw.__get__(self),)),
            "__slots__": (),
            # for a synchronized wrapper, which checks as it writes (one call fewer)
            "_check": staticmethod(check), "_bounds": bounds(ctype) or (1, 0)})
        _guarded_scalars[ctype] = cls
    return cls


def is_guarded_scalar(kind):
    """Whether kind is a type guarded_scalar made."""
    return _guarded_scalars.get(kind.__mro__[1] if len(kind.__mro__) > 1 else None) is kind


def deep_check(ctype):
    """As value_check, for any type: an array's or a structure's checks each element or field of a tuple (or list)
    it is given, as ctypes builds the value from it (and would wrap an error inside in a RuntimeError); None where
    no part of the type has a range."""
    if isinstance(ctype, type) and issubclass(ctype, ctypes.Array):
        inner = deep_check(ctype._type_)
        if inner is None:
            return None

        def check(value):
            if isinstance(value, (tuple, list)):
                for v in value:
                    inner(v)
            return value
        return check
    if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union)):
        parts = [_field_check(f) for f in ctype._fields_]
        if not any(parts):
            return None

        def check(value):
            if isinstance(value, tuple):
                for part, v in zip(parts, value):
                    if part is not None:
                        part(v)
            return value
        return check
    return value_check(ctype)


def _field_check(field):
    """The check of a structure's field (name, type) or (name, type, bits), naming the field."""
    return (value_check(field[1], field[2] if len(field) == 3 else 0, "field " + field[0])
            or deep_check(field[1]))


_guarded_arrays = {}


def guarded_array(element, length):
    """element * length, and for elements with a range an array type whose item and slice writes refuse what
    ctypes would wrap (writing nothing). Its byte-swapped form (ctypes' __ctype_be__, which a big-endian
    structure's field takes) checks too. Bounded as the structure types are."""
    check = deep_check(element)
    if check is None:
        return element * length
    key = (element, length)
    cls = _guarded_arrays.get(key)
    if cls is None:
        plain = element * length
        raw_set = plain.__setitem__
        limits = bounds(element)
        low, high = limits if limits is not None else (1, 0)

        def put(self, index, value):
            if isinstance(index, slice):
                value = [v if type(v) is int and low <= v <= high else check(v) for v in value]
            elif type(value) is not int or not low <= value <= high:
                check(value)
            raw_set(self, index, value)

        cls = type(plain.__name__, (ctypes.Array,), {"_type_": element, "_length_": length, "__setitem__": put})
        if len(_guarded_arrays) >= MAX_STRUCTS:
            _guarded_arrays.clear()
        _guarded_arrays[key] = cls  # before its byte orders, which name it back
        for order in ("__ctype_le__", "__ctype_be__"):
            form = _in_order(element, order)
            if form is not None:  # no instance or lookup of cls yet: nothing of it is cached
                setattr(cls, order, cls if form is element else guarded_array(form, length))
    return cls


def _in_order(element, order):
    """An array element type in the byte order order names ('__ctype_le__' or '__ctype_be__'), as ctypes'
    _other_endian gives it (a structure is its own), or None where there is none."""
    if hasattr(element, order):
        return getattr(element, order)
    if isinstance(element, type) and issubclass(element, (ctypes.Structure, ctypes.Union)):
        return element
    return None


class _CheckedField(property):
    """A structure's field that refuses a value it cannot hold; it keeps the ctypes field's offset and size."""


def _guard_fields(cls):
    """cls itself when no field of the structure type has a range, else a subclass of it (same name, layout and
    fields) whose fields with a range (a bit field within its bits; an array or a structure given as a tuple, each
    of its parts) refuse a value they cannot hold. The fields are those ctypes made (a byte-swapped structure's are
    swapped types). A subclass, not the class changed in place: ctypes' setattr for its types leaves CPython's
    attribute cache naming the old field, and type.__setattr__ refuses ctypes' types."""
    guarded = {}
    for field in cls._fields_:
        name = field[0]
        check = _field_check(field)
        if check is None:
            continue
        raw = cls.__dict__[name]
        limits = bounds(field[1], field[2] if len(field) == 3 else 0)
        guarded[name] = _CheckedField(raw.__get__, _setter(raw.__set__, check, limits), doc="field %s" % name)
        for attribute in ("offset", "size", "bit_offset", "bit_size"):
            if hasattr(raw, attribute):
                setattr(guarded[name], attribute, getattr(raw, attribute))
    return type(cls)(cls.__name__, (cls,), guarded) if guarded else cls

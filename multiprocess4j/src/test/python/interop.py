"""The Python side of PythonInteropTest: each function is run in a Python child by PythonProcess, with Java-made
shared objects as arguments, and raises (its traceback reaching the Java test) when what it finds is wrong."""
import ctypes
import os
import threading
import time

import multiprocess4j as mp4j


def roundtrip(cases):
    """Each case: the attached object, what Java wrote, and what to write back for Java to check."""
    for case in cases:
        obj, kind, name = case["obj"], case["kind"], case["name"]
        got = obj.value if kind == "value" else obj[:]
        if isinstance(got, list):
            got = list(got)
        assert got == case["expect"], "%s: read %r, Java wrote %r" % (name, got, case["expect"])
        if kind == "value":
            obj.value = case["write"]
        else:
            obj[:] = case["write"]


def structures(segment, segments, point_names):
    fields = [f[0] for f in type(segment)._fields_]
    assert fields == ["tag", "a", "n", "path", "ids", "ok"], fields
    assert type(segment.a).__name__ == "Point" and [f[0] for f in type(segment.a)._fields_] == point_names
    assert (segment.tag, segment.a.x, segment.a.y, segment.n) == (b"T", 1.5, -2.5, 7), (segment.tag, segment.a.x)
    assert (segment.path[1].x, list(segment.ids), segment.ok) == (4.0, [1, 2, 3], True)
    segment.tag = b"P"
    segment.a.y = 100.25
    segment.ids[2] = -3
    segment.ok = False
    assert len(segments) == 3 and segments[2].n == 9, len(segments)
    segments[1].path[0].x = 8.5
    try:
        import numpy
    except ImportError:
        return
    view = segments.as_numpy()
    assert view.dtype.names == ("tag", "a", "n", "path", "ids", "ok"), view.dtype
    view["n"] += 1  # zero-copy: Java sees it


def strided(view, expect):
    assert view[:] == expect, (view[:], expect)
    view[0] = -view[0]
    try:
        import numpy
    except ImportError:
        return
    assert list(view.as_numpy()) == [-expect[0]] + expect[1:]


def refuses(freed, value, lock):
    try:
        mp4j.attach(freed)
        raise AssertionError("a handle to freed memory was attached")
    except mp4j.AttachError as e:
        assert "freed memory" in str(e), e
    try:
        mp4j.attach_lock(value)
        raise AssertionError("a value's handle was attached as a lock")
    except mp4j.AttachError as e:
        assert "does not name a ProcessLock" in str(e), e
    bad_id = value.split(":")
    bad_id[4] = "%x" % (int(bad_id[4], 16) ^ 1)
    try:
        mp4j.attach(":".join(bad_id))
        raise AssertionError("a handle with another arena id was attached")
    except mp4j.AttachError as e:
        assert "arena id does not match" in str(e), e
    for text in ("", "mp4j1:1:2", "mp4j2" + value[5:], value + "+" + value + "+" + value, value[:-3] + "!!!"):
        try:
            mp4j.attach(text)
            raise AssertionError("attached %r" % text)
        except mp4j.AttachError:
            pass
    assert isinstance(lock, mp4j.ProcessLock)


def count(n, times):
    """Adds one to the synchronized value, times times, each under its lock."""
    for _ in range(times):
        with n.get_lock():
            n.value += 1


def hold_and_hang(lock, held):
    """Takes the lock, says so, and sleeps until killed."""
    lock.acquire()
    held.value = os.getpid()
    while True:
        time.sleep(1)


def take_after_death(lock, result):
    """Waits for a lock whose holder will be killed; records that it got it and that it was told."""
    started = time.monotonic()
    got = lock.acquire(timeout=60)
    result[0] = 1 if got else -1
    result[1] = 1 if lock.previous_owner_died else 0
    result[2] = int((time.monotonic() - started) * 1000)
    lock.release()
    with lock:
        assert not lock.previous_owner_died, "a take after the recovery still says the owner died"


def wait_for_signal(condition, flag, ready):
    """Waits on a condition until Java sets flag and signals."""
    with condition:
        ready.value = 1
        ok = condition.wait_for(lambda: flag.value == 1, timeout=60)
        assert ok, "not woken within 60 s"
        flag.value = 2


def fail(message):
    raise ValueError(message)


def exit_with(code):
    raise SystemExit(code)


def exit_at_once(code):
    os._exit(code)


def return_leaving_a_thread(flag):
    """Returns, leaving a thread that sets flag once the main thread has ended (its status reported), then sleeps."""
    def linger():
        while threading.main_thread().is_alive():
            time.sleep(0.001)
        flag.value = 1
        time.sleep(60)

    threading.Thread(target=linger).start()


def sleep_forever():
    while True:
        time.sleep(1)


def count_in_threads(n, times, threads, machine_code):
    """As count, from several threads of this process at once: they wait on the shared word as processes do.
    Raises first unless the locks' machine code runs in this process when machine_code is 1 (and this interpreter
    can run it) and does not when machine_code is 0."""
    import threading
    from multiprocess4j import _fastlock, _locks
    why = _locks.FAST_LOCKS_UNUSED_BECAUSE
    assert why is not None if machine_code == 0 else why is None or _fastlock._why_not() is not None, why
    workers = [threading.Thread(target=count, args=(n, times)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


def huge_pages(array):
    """A 64 MiB Java array: its elements are i * 7, and, where the kernel moves shared memory onto huge pages
    (Linux 6.1 on), this process maps its pages whole within 60 s (its creating JVM moves them behind its back).
    Pages this process touched before they moved may stay mapped piecewise: between looks it drops its page
    tables (MADV_DONTNEED, which a shared mapping refills from the file) so that it maps them afresh."""
    import ctypes
    import platform
    arena = array._arena
    start = arena.address
    assert start % (2 << 20) == 0, "the arena is not mapped at a 2 MiB boundary: %#x" % start
    wanted = [int(x) for x in platform.release().split(".")[:2]] >= [6, 1]
    deadline = time.monotonic() + 60
    while True:
        values = memoryview(array._obj).cast("B").cast("q")
        assert all(values[i] == i * 7 for i in range(0, len(values), 4099)), "an element changed"
        assert values[len(values) - 1] == (len(values) - 1) * 7
        pmd = _pmd_mapped_kb(start)
        if pmd >= 32 << 10 or not wanted:
            break
        assert time.monotonic() < deadline, "still on small pages after 60 s (ShmemPmdMapped %d kB)" % pmd
        del values
        libc = ctypes.CDLL(None)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        assert libc.madvise(start, ctypes.sizeof(arena.map), 4) == 0  # MADV_DONTNEED
        time.sleep(0.05)
    if not wanted:
        print("huge_pages: Linux %s moves no shared memory onto huge pages; the elements were checked" %
              platform.release())
    del values


def _pmd_mapped_kb(start):
    """ShmemPmdMapped of this process's mapping that begins at start, in kB."""
    with open("/proc/self/smaps") as f:
        inside = False
        for line in f:
            first = line.split(" ", 1)[0]
            if "-" in first and ":" not in first:
                inside = int(first.split("-")[0], 16) == start
            elif inside and line.startswith("ShmemPmdMapped:"):
                return int(line.split()[1])
    return 0


def read_at_exit(big):
    """Registers an exit handler before attaching a large array (so it runs after any handler the attach
    registers), which reads the array as the interpreter exits."""
    import atexit
    kept = {}
    atexit.register(lambda: print("read at exit", kept["array"][0], flush=True))
    kept["array"] = mp4j.attach(big)


def edges(value, big, segments, sync_array, sync_segment, lock, condition):
    """Hostile handles refused as AttachError; ctypes' rules for strided views; synchronized objects read under
    their own ProcessLock; timeouts as multiprocessing.Lock takes them; mappings that end with their objects."""
    import base64
    import gc
    import threading

    def sig(text):
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def with_field(handle, i, text):
        f = handle.split(":")
        f[i] = text
        return ":".join(f)

    kept = mp4j.attach(value)  # its arena stays open here
    arena_id = value.split(":")[4]
    hostile = [with_field(value, 1, "9" * 5000), with_field(value, 4, "0x" + arena_id),
               with_field(value, 4, " " + arena_id), with_field(value, 4, "_".join(arena_id)),
               with_field(value, 3, "0"), with_field(value, 5, str(10 ** 12))]
    hostile += [with_field(value, 11, sig(s)) for s in (
        "ai[\u0663]", "ai[\u00b2]", "ai[" + "1" * 5000 + "]", "vd[2147483647][2147483647][2147483647]",
        "vi[1]", "v{S;a:d/3}", "v{S;a:i/40}", "v{S;a:c/1}", "v{S;_fields_:i}", "v{S;a:i;a:i}", "v{S|P\u0668;a:i}")]
    for text in hostile:
        try:
            mp4j.attach(text)
        except mp4j.AttachError:
            continue
        raise AssertionError("attached %r" % text[:120])
    del kept

    view = mp4j.attach(segments)  # every other structure of an array: a strided view
    view[1] = (b"Q",)
    assert view[1].tag == b"Q" and view[1].n == 0, (view[1].tag, view[1].n)

    class Other(ctypes.Structure):
        _fields_ = [("q", ctypes.c_char)]

    for wrong in (Other(b"A"), [1, 2]):
        try:
            view[0] = wrong
        except TypeError:
            continue
        raise AssertionError("a %s was written into a structure's place" % type(wrong).__name__)

    array, segment, seen = mp4j.attach(sync_array), mp4j.attach(sync_segment), []

    def under_their_lock():
        with array.get_lock():
            seen.append((array[0], array[:], list(array)))
        with segment.get_lock():
            segment.n = 5
            seen.append(segment.n)

    # A field named as a wrapper's own method: the field is reached through get_obj(), the others still work.
    own, plus, lock_part = sync_segment.partition("+")
    encoded = own.split(":")[11]
    decoded = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    renamed = sig(decoded.replace(";tag:", ";_locked:", 1))
    shadowing = mp4j.attach(with_field(own, 11, renamed) + plus + lock_part)
    assert (shadowing.n, shadowing.get_obj()._locked) == (0, b"S"), (shadowing.n, shadowing.get_obj()._locked)

    reader = threading.Thread(target=under_their_lock, daemon=True)
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), "a synchronized object read under its own ProcessLock waits for itself"
    assert seen == [(7, [7, 8, 9], [7, 8, 9]), 5], seen

    lock, condition, outcome = mp4j.attach_lock(lock), mp4j.attach_lock(condition), []
    with lock:
        other = threading.Thread(target=lambda: outcome.append(lock.acquire(True, -1)))
        other.start()
        other.join(60)
        assert outcome == [False], "a negative timeout is none, as multiprocessing.Lock's: %r" % outcome
        for wrong, error in ((float("nan"), ValueError), ("1", TypeError)):
            try:
                lock.acquire(True, wrong)
            except error:
                continue
            raise AssertionError("acquire took timeout %r" % wrong)
    try:
        condition.notify()
        raise AssertionError("notify without the lock")
    except RuntimeError:
        pass

    def mapped():
        with open("/proc/self/maps") as maps:
            return sum(1 for line in maps if "/dev/shm/" in line)

    gc.collect()
    before = mapped()
    wrong_id = with_field(big, 4, "%x" % (int(big.split(":")[4], 16) ^ 1))
    for _ in range(20):
        try:
            mp4j.attach(wrong_id)
        except mp4j.AttachError:
            pass
    gc.collect()
    assert mapped() == before, "refused attaches left %d mappings" % (mapped() - before)
    attached = mp4j.attach(big)
    attached[0] = 2.5
    assert mapped() > before
    del attached
    gc.collect()
    assert mapped() == before, "a dropped object's arena is still mapped"


def set_when_told(n, go):
    """Waits until go is 1, then sets n to 42."""
    deadline = time.monotonic() + 120
    while go.value != 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    n.value = 42


def has_digits(x, count):
    assert len(str(x)) == count, len(str(x))


def awkward_names(raw, locked, many, strided):
    """Structures whose fields are named as ctypes' own class methods (from_buffer, from_address, in_dll) or with
    a '$', as Java allows: each attaches and its fields read and write."""
    for where, s in (("raw", raw), ("synchronized", locked), ("array", many[1]), ("strided", strided[1])):
        assert (s.from_buffer, s.from_address, s.in_dll, s.flags, s.low, getattr(s, "a$b")) == (0, 0, 0, 0, 0, 0), where
        s.from_buffer, s.from_address, s.in_dll, s.flags, s.low = 5, -6, 7, 7, -8
        s.ids[1] = -9
        s.ids[0] = 1
        setattr(s, "a$b", 10)
        assert (s.from_buffer, s.low, list(s.ids), getattr(s, "a$b")) == (5, -8, [1, -9], 10), where


def _refused(action, *words):
    """Runs action(), which must raise OverflowError with each of words in its message."""
    try:
        action()
    except OverflowError as e:
        for word in words:
            assert word in str(e), "%r lacks %r" % (str(e), word)
        return
    raise AssertionError("no OverflowError (wanted one saying %s)" % (words,))


def refuses_out_of_range(fields, raw, locked, bytes_, strided_shorts, unsigned, single, wide):
    """Every write of a value its C type cannot hold is an OverflowError naming the value and the range, and writes
    nothing: scalar values raw and synchronized, arrays contiguous and strided (an element, a slice), structure
    fields, bit fields, arrays in structures, c_float; then the other errors name what they refuse."""
    import math

    def put(obj, name, value):
        return lambda: setattr(obj, name, value)

    def put_item(obj, index, value):
        return lambda: obj.__setitem__(index, value)

    _refused(put(raw, "value", 2 ** 31), "2147483648", "c_int", "-2147483648", "2147483647")
    raw.value = -2 ** 31
    _refused(put(locked, "value", 2 ** 40), "1099511627776")
    _refused(put_item(bytes_, 0, 300), "300", "-128", "127")
    _refused(put_item(bytes_, slice(0, 2), [1, 300]), "300")
    _refused(put_item(bytes_, slice(None), [0, 0, -129]), "-129")
    assert bytes_[:] == [0, 0, 0], bytes_[:]
    _refused(put_item(strided_shorts, 1, 65536), "65536", "c_ushort")
    _refused(put_item(strided_shorts, slice(0, 2), [1, -1]), "-1")
    assert strided_shorts[:] == [0, 0, 0], strided_shorts[:]
    _refused(put_item(unsigned, 1, -1), "-1", "c_uint")
    _refused(put(fields, "in_dll", 128), "128", "in_dll")
    _refused(put(fields, "flags", 8), "8", "flags", "0", "7")
    _refused(put(fields, "low", 8), "8", "-8", "7")
    fields.low = -8
    _refused(put_item(fields.ids, 0, 40000), "40000", "c_short")
    _refused(put(fields, "ids", (1, 40000)), "40000")
    _refused(lambda: fields.ids.__setitem__(slice(None), [1, -32769]), "-32769")
    _refused(put(single, "value", 1e39), "1e+39", "c_float")
    _refused(put(single, "value", -(10 ** 39)), "c_float")
    _refused(put(single, "value", 3.4028236e38), "c_float", "FLT_MAX")
    for fine in (float("inf"), 3.4028234663852886e38, 3.4028235e38):
        single.value = fine
        assert single.value in (fine, 3.4028234663852886e38), (single.value, fine)
    single.value = float("nan")
    assert math.isnan(single.value)

    try:
        bytes_[3]
        raise AssertionError("an index past the end was read")
    except IndexError as e:
        assert "3" in str(e) and "length 3" in str(e), str(e)
    wide.value = "a\U0001F600"
    try:
        import numpy
    except ImportError:
        return
    assert list(wide.as_numpy()) == ["a", "\U0001F600", ""], list(wide.as_numpy())


def wait_unowned(reentrant, plain):
    """Thread A holds each condition's lock (the re-entrant one three deep); thread B's wait on the condition is
    refused as threading.Condition's is, and A's hold stays whole: the lock is A's until its last release."""
    import threading
    for condition, depth in ((reentrant, 3), (plain, 1)):
        lock = condition._lock
        held, done = threading.Event(), threading.Event()
        outcome = []

        def holder():
            for _ in range(depth):
                lock.acquire()
            held.set()
            done.wait(60)
            for level in range(depth):
                outcome.append(lock.owner_pid() == os.getpid())
                lock.release()
            outcome.append(lock.owner_pid() == 0)

        a = threading.Thread(target=holder)
        a.start()
        assert held.wait(60)
        try:
            condition.wait(0.1)
            raise AssertionError("a thread that does not hold the lock waited on its condition")
        except RuntimeError as e:
            assert "un-acquired" in str(e), str(e)
        done.set()
        a.join(60)
        assert outcome == [True] * depth + [True], outcome
        with condition:
            for bad, error in ((10 ** 400, OverflowError), ("x", TypeError)):
                for attempt in (lambda: condition.wait(bad), lambda: lock.acquire(True, bad)):
                    try:
                        attempt()
                    except error as e:
                        assert "timeout" in str(e), str(e)
                    else:
                        raise AssertionError("took timeout %r" % (bad,))
            assert lock.owner_pid() == os.getpid()
            for bad in ("x", 1.5):
                try:
                    condition.notify(bad)
                except TypeError as e:
                    assert "n must be" in str(e), str(e)
                else:
                    raise AssertionError("notify took n=%r" % (bad,))


def guards_every_layout():
    """The range checks hold for every layout a signature makes (built here from signatures, as attach builds
    them): union members, arrays in big-endian structures, arrays of arrays; and guarded types keep what ctypes
    offers: a field's offset and size, numpy's dtype, pickling a value (as a copy)."""
    import pickle
    from multiprocess4j import _format as F

    def refused(obj, write):
        try:
            exec(write, {"o": obj})
        except OverflowError:
            return
        raise AssertionError("%s was not refused" % write)

    union = F.ctype_of("{U|U;b:b;I:I;inner:{In;x:b;y:H}}", "test")()
    for write in ("o.I = -1", "o.b = 200", "o.inner = (1, 70000)", "o.inner.y = 70000"):
        refused(union, write)
    big = F.ctype_of("{Big|>;b:b;i:i;H:H;arr:h[2];grid:b[2][2];f:f}", "test")()
    for write in ("o.arr[0] = 40000", "o.arr[:] = [1, -40000]", "o.arr = (1, 40000)", "o.i = 2 ** 31",
                  "o.f = 1e39", "o.grid[1][0] = 200", "o.grid[1] = (1, 200)", "o.grid = ((1, 2), (3, 200))"):
        refused(big, write)
    shorts = F.ctype_of("h[2]", "test")
    assert shorts.__ctype_le__ is shorts and shorts.__ctype_be__.__ctype_le__ is shorts, "byte orders name each other"
    assert shorts.__ctype_be__.__ctype_be__ is shorts.__ctype_be__
    big.arr[1], big.i, big.grid[1][1] = -2, -7, -3
    assert bytes(big)[4:8] == (-7).to_bytes(4, "big", signed=True), bytes(big).hex()
    assert (big.arr[1], big.i, big.grid[1][1]) == (-2, -7, -3)
    kind = F.ctype_of("{S;bits:I/3;a:i;ids:h[3]}", "test")
    assert (kind.a.offset, kind.ids.offset, kind.a.size) == (4, 8, 4), (kind.a.offset, kind.ids.offset)
    value = F.from_buffer(F.guarded_scalar(ctypes.c_int), bytearray(4), 0)
    value.value = 5
    copy = pickle.loads(pickle.dumps(value))
    assert isinstance(value, ctypes.c_int) and type(copy) is ctypes.c_int and copy.value == 5, copy
    try:
        import numpy
    except ImportError:
        return
    assert numpy.dtype(F.ctype_of("{P;x:d;y:i;arr:h[2]}", "test")).names == ("x", "y", "arr")

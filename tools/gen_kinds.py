#!/usr/bin/env python3
"""Generates the per-type classes of org.multiprocess4j.sharedctypes from one table.

Each C primitive type needs a value class, an array class and a struct-field class with statically typed,
unboxed accessors; they differ only in the Java type, the memory layout and the conversion between them, which
is what this table lists. Run it from the repository root after changing the table or a template:

    python3 tools/gen_kinds.py

The build checks that the committed files are what this generates (`python3 tools/gen_kinds.py --check`, run by
GeneratedSourcesTest), so an edit by hand, or a table change not regenerated, fails the tests.
"""
import os
import sys

OUT = "multiprocess4j/src/main/java/org/multiprocess4j/sharedctypes"

# name, bounds (the C type's integer range as Java long expressions, for the integer types; the one place the
# library states them), Java type, boxed type, layout, Java array type used for bulk copies, C description,
# read(raw) expression, write(value) expression, whether the Java type holds values outside the C range (so that
# typed setters check the bounds), atomics level, memcpy-able
KINDS = [
    dict(name="Char", bounds=("0", "255"), j="byte", box="Byte", layout="JAVA_BYTE", raw="byte", c="char", codes="c",
         read="{r}", write="{v}", checked=False, atomic="rw", memcpy=True,
         repr="a C {@code char}: one byte, held in a Java {@code byte}"),
    dict(name="Byte", bounds=("Byte.MIN_VALUE", "Byte.MAX_VALUE"), j="byte", box="Byte", layout="JAVA_BYTE", raw="byte", c="signed char", codes="b",
         read="{r}", write="{v}", checked=False, atomic="rw", memcpy=True,
         repr="a C {@code signed char} (-128..127), held in a Java {@code byte}"),
    dict(name="UByte", bounds=("0", "0xFF"), j="int", box="Integer", layout="JAVA_BYTE", raw="byte", c="unsigned char", codes="B",
         read="Byte.toUnsignedInt({r})", write="(byte) {v}", checked=True, atomic="rw", memcpy=False,
         repr="a C {@code unsigned char} (0..255), held in a Java {@code int}; values outside 0..255 are refused"),
    dict(name="Short", bounds=("Short.MIN_VALUE", "Short.MAX_VALUE"), j="short", box="Short", layout="JAVA_SHORT", raw="short", c="short", codes="h",
         read="{r}", write="{v}", checked=False, atomic="rw", memcpy=True,
         repr="a C {@code short} (-32768..32767), held in a Java {@code short}"),
    dict(name="UShort", bounds=("0", "0xFFFF"), j="int", box="Integer", layout="JAVA_SHORT", raw="short", c="unsigned short", codes="H",
         read="Short.toUnsignedInt({r})", write="(short) {v}", checked=True, atomic="rw", memcpy=False,
         repr="a C {@code unsigned short} (0..65535), held in a Java {@code int}; values outside 0..65535 are refused"),
    dict(name="Int", bounds=("Integer.MIN_VALUE", "Integer.MAX_VALUE"), j="int", box="Integer", layout="JAVA_INT", raw="int", c="int", codes="i",
         read="{r}", write="{v}", checked=False, atomic="int", memcpy=True,
         repr="a C {@code int} (32 bits), held in a Java {@code int}"),
    dict(name="UInt", bounds=("0", "0xFFFF_FFFFL"), j="long", box="Long", layout="JAVA_INT", raw="int", c="unsigned int", codes="I",
         read="Integer.toUnsignedLong({r})", write="(int) {v}", checked=True, atomic="uint",
         memcpy=False,
         repr="a C {@code unsigned int} (0..4294967295), held in a Java {@code long}; values outside that range "
              "are refused"),
    dict(name="Long", bounds=("Long.MIN_VALUE", "Long.MAX_VALUE"), j="long", box="Long", layout="JAVA_LONG", raw="long", c="long / long long", codes="lq",
         read="{r}", write="{v}", checked=False, atomic="int", memcpy=True,
         repr="a C {@code long} or {@code long long} (64 bits on LP64), held in a Java {@code long}"),
    dict(name="ULong", bounds=("0", "-1L"), j="long", box="Long", layout="JAVA_LONG", raw="long", c="unsigned long / unsigned long long",
         codes="LQ", read="{r}", write="{v}", checked=False, atomic="int", memcpy=True,
         repr="a C {@code unsigned long} or {@code unsigned long long} (0..2<sup>64</sup>-1), held in the 64 bits of "
              "a Java {@code long}: values above {@code Long.MAX_VALUE} read as negative longs, exactly as "
              "{@link Long#toUnsignedString(long)} and {@link Long#compareUnsigned(long, long)} expect; every value "
              "of the range round-trips"),
    dict(name="Float", j="float", box="Float", layout="JAVA_FLOAT", raw="float", c="float", codes="f",
         read="{r}", write="{v}", checked=False, atomic="float", memcpy=True,
         repr="a C {@code float} (IEEE 754 binary32), held in a Java {@code float}"),
    dict(name="Double", j="double", box="Double", layout="JAVA_DOUBLE", raw="double", c="double", codes="d",
         read="{r}", write="{v}", checked=False, atomic="float", memcpy=True,
         repr="a C {@code double} (IEEE 754 binary64), held in a Java {@code double}"),
    dict(name="WChar", bounds=("0", "Character.MAX_CODE_POINT"), j="int", box="Integer", layout="JAVA_INT", raw="int", c="wchar_t", codes="u",
         read="{r}", write="{v}", checked=True, atomic="rw", memcpy=False,
         repr="a C {@code wchar_t} (4 bytes, one UTF-32 code unit), held in a Java {@code int} code point; values "
              "outside 0..0x10FFFF are refused"),
    dict(name="Bool", j="boolean", box="Boolean", layout="JAVA_BOOLEAN", raw="boolean", c="_Bool", codes="?",
         read="{r}", write="{v}", checked=False, atomic="rw", memcpy=False,
         repr="a C {@code _Bool} (one byte, 0 or 1), held in a Java {@code boolean}"),
]

OF = {"JAVA_BYTE": "OfByte", "JAVA_SHORT": "OfShort", "JAVA_INT": "OfInt", "JAVA_LONG": "OfLong",
      "JAVA_FLOAT": "OfFloat", "JAVA_DOUBLE": "OfDouble", "JAVA_BOOLEAN": "OfBoolean"}

HEADER = "// Generated by tools/gen_kinds.py: edit the generator, not this file.\n"


def load(k, seg, off):
    return k["read"].format(r=f"{seg}.get({k['layout']}, {off})")


def store(k, seg, off, v):
    return f"{seg}.set({k['layout']}, {off}, {k['write'].format(v=v)})"


def check(k, v, what):
    if not k["checked"]:
        return ""
    lo, hi = k["bounds"]
    return (f"        if ({v} < {lo} || {v} > {hi}) {{\n"
            f"            throw Kind.{k['name'].upper()}.outOfRange(\"{what}\", {v});\n"
            f"        }}\n")


def locked(body_return, j, indent="        "):
    """Wraps an expression in the synchronized-wrapper pattern: a thread that holds the lock already does not
    take it again (for a ProcessRLock that is what re-entry would do, for a ProcessLock it avoids waiting on
    itself)."""
    if j == "void":
        return (f"{indent}SharedLock l = lock;\n"
                f"{indent}if (l == null || l.isHeldByCurrentThread()) {{\n{indent}    {body_return};\n{indent}    return;\n{indent}}}\n"
                f"{indent}l.lock();\n{indent}try {{\n{indent}    {body_return};\n{indent}}} finally {{\n"
                f"{indent}    l.unlock();\n{indent}}}\n")
    return (f"{indent}SharedLock l = lock;\n"
            f"{indent}if (l == null || l.isHeldByCurrentThread()) {{\n{indent}    return {body_return};\n{indent}}}\n"
            f"{indent}l.lock();\n{indent}try {{\n{indent}    return {body_return};\n{indent}}} finally {{\n"
            f"{indent}    l.unlock();\n{indent}}}\n")


def atomics(k, seg, off, idx_param, idx_check, target):
    """Atomic methods; off is the offset expression, idx_param the leading parameter(s)."""
    j, r = k["j"], k["raw"]
    a = k["atomic"]
    p = idx_param + (", " if idx_param else "")
    doc_idx = f" of the element at {{@code index}}" if idx_param else ""
    out = []
    vh = f"{seg}, {off}"
    if a in ("rw", "int", "uint", "float"):
        conv_in = k["write"].format(v="value") if a != "uint" else "(int) value"
        out.append(f"""
    /** Reads the value{doc_idx} with volatile semantics (sequentially consistent with other volatile accesses). */
    public {j} getVolatile({idx_param}) {{
{idx_check}        return {k['read'].format(r=f"({r}) VH.getVolatile({vh})")};
    }}

    /** Writes the value{doc_idx} with volatile semantics, without taking the lock. */
    public void setVolatile({p}{j} value) {{
{idx_check}{check(k, "value", "value")}        VH.setVolatile({vh}, {conv_in});
    }}

    /** Reads the value{doc_idx}; no later read or write moves before it (pairs with {{@link #setRelease}}). */
    public {j} getAcquire({idx_param}) {{
{idx_check}        return {k['read'].format(r=f"({r}) VH.getAcquire({vh})")};
    }}

    /** Writes the value{doc_idx}; no earlier read or write moves after it: it publishes them to an acquiring reader. */
    public void setRelease({p}{j} value) {{
{idx_check}{check(k, "value", "value")}        VH.setRelease({vh}, {conv_in});
    }}
""")
    if a in ("int", "uint", "float"):
        w = (lambda v: f"(int) {v}") if a == "uint" else (lambda v: v)
        rd = (lambda e: f"Integer.toUnsignedLong((int) {e})") if a == "uint" else (lambda e: f"({j}) {e}")
        out.append(f"""
    /** Atomically sets the value{doc_idx} to {{@code newValue}} if it is {{@code expected}}; lock-free. */
    public boolean compareAndSet({p}{j} expected, {j} newValue) {{
{idx_check}{check(k, "newValue", "newValue")}{"        if (expected < 0L || expected > 0xFFFF_FFFFL) {" + chr(10) + "            return false;" + chr(10) + "        }" + chr(10) if a == "uint" else ""}        return VH.compareAndSet({vh}, {w("expected")}, {w("newValue")});
    }}

    /** Atomically sets the value{doc_idx} and returns the previous one; lock-free. */
    public {j} getAndSet({p}{j} newValue) {{
{idx_check}{check(k, "newValue", "newValue")}        return {rd(f"VH.getAndSet({vh}, {w('newValue')})")};
    }}
""")
    if a in ("int", "uint"):
        wrap = " (wrapping modulo 2<sup>32</sup>, as C unsigned arithmetic does)" if a == "uint" else (
            " (wrapping on overflow, as Java and C two's-complement arithmetic do)")
        dl = "(int) delta" if a == "uint" else "delta"
        one = "1" if a == "uint" else ("1" if r == "int" else "1L")
        minus = "-1" if a == "uint" else ("-1" if r == "int" else "-1L")
        fin = (lambda e: f"Integer.toUnsignedLong({e})") if a == "uint" else (lambda e: e)
        add = lambda d: f"({r}) VH.getAndAdd({vh}, {d})"
        out.append(f"""
    /** Atomically adds {{@code delta}} to the value{doc_idx} and returns the previous value{wrap}; one hardware instruction. */
    public {j} getAndAdd({p}{j} delta) {{
{idx_check}        return {fin(add(dl))};
    }}

    /** Atomically adds {{@code delta}} to the value{doc_idx} and returns the new value{wrap}. */
    public {j} addAndGet({p}{j} delta) {{
{idx_check}        return {fin(add(dl) + " + " + dl)};
    }}

    /** Atomically adds one to the value{doc_idx} and returns the new value. */
    public {j} incrementAndGet({idx_param}) {{
{idx_check}        return {fin(add(one) + " + 1")};
    }}

    /** Atomically subtracts one from the value{doc_idx} and returns the new value. */
    public {j} decrementAndGet({idx_param}) {{
{idx_check}        return {fin(add(minus) + " - 1")};
    }}
""")
    if a == "float":
        out.append(f"""
    /**
     * Atomically adds {{@code delta}} to the value{doc_idx} and returns the previous value. The hardware has no
     * floating-point add in memory: this is a compare-and-set loop, lock-free (some thread always progresses).
     */
    public {j} getAndAdd({p}{j} delta) {{
{idx_check}        {j} current;
        do {{
            current = ({j}) VH.getVolatile({vh});
        }} while (!VH.weakCompareAndSet({vh}, current, current + delta));
        return current;
    }}

    /** Atomically adds {{@code delta}} to the value{doc_idx} and returns the new value; see {{@link #getAndAdd}}. */
    public {j} addAndGet({p}{j} delta) {{
        return getAndAdd({p.rstrip(', ').replace('long ', '')}{', ' if idx_param else ''}delta) + delta;
    }}
""")
    return "".join(out)


ATOMIC_DOC = {
    "rw": "<p>Atomicity: a single read or write of an aligned value is atomic (no tearing); {@code getVolatile}, "
          "{@code setVolatile}, {@code getAcquire} and {@code setRelease} order it with other accesses. There is no "
          "lock-free read-modify-write for this size: use the lock.",
    "int": "<p>Atomicity: every method named after a {@link java.lang.invoke.VarHandle} access mode is atomic and "
           "lock-free across threads and processes ({@code getAndAdd} is one {@code LOCK XADD}); {@code get} and "
           "{@code set} are plain accesses, taking the lock only when this object is synchronized.",
    "uint": "<p>Atomicity: every method named after a {@link java.lang.invoke.VarHandle} access mode is atomic and "
            "lock-free across threads and processes, with arithmetic modulo 2<sup>32</sup>; {@code get} and "
            "{@code set} are plain accesses, taking the lock only when this object is synchronized.",
    "float": "<p>Atomicity: volatile, acquire and release accesses, {@code compareAndSet} and {@code getAndSet} are "
             "single hardware instructions; {@code getAndAdd} is a lock-free compare-and-set loop (the hardware has "
             "no floating-point add in memory). {@code compareAndSet} compares bit patterns, so {@code NaN} matches "
             "itself and {@code 0.0} does not match {@code -0.0}.",
}


def codes_doc(k):
    return " or ".join(f"{{@code '{c}'}}" for c in k["codes"])


def gen_value(k):
    n, j = k["name"], k["j"]
    cls = f"{n}Value"
    chk = check(k, "value", "value")
    return f"""{HEADER}package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
{"import org.multiprocess4j.coordination.LongVariable;" + chr(10) if n == "Long" else ""}import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.{k['layout']};

/**
 * A shared C {{@code {k['c']}}} (typecode {codes_doc(k)}): {k['repr']}.
 *
 * <p>{{@link #get()}} and {{@link #set}} take the lock once per call when this object is synchronized (see
 * {{@link SharedCTypes#value}}); a compound update holds the lock across it:
 * {{@snippet :
 * try (var held = v.getLock().hold()) {{
 *     v.set(v.get());   // any read-modify-write
 * }}
 * }}
 *
 * {ATOMIC_DOC[k['atomic']]}
 */
public final class {cls} extends SharedValue{" implements LongVariable" if n == "Long" else ""} {{
    private static final VarHandle VH = {k['layout']}.varHandle();

    {cls}(CType<?, ?> type, SharedBlock block, long base, SharedLock lock, boolean ownsLock) {{
        super(type, block, base, lock, ownsLock);
    }}

    /**
     * Attaches to the value {{@code handle}} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle names another kind of object or another type
     * @throws IllegalStateException when the memory no longer exists
     */
    public static {cls} attach(Handle handle) {{
        return SharedCTypes.attachAs(handle, {cls}.class);
    }}

    /** The value; takes the lock when synchronized. */
    public {j} get() {{
{locked(load(k, "segment", "0L"), j)}    }}

    /**
     * Sets the value; takes the lock when synchronized.
     *
     * @throws IllegalArgumentException when {{@code value}} is outside the C type's range
     */
    public void set({j} value) {{
{chk}{locked(store(k, "segment", "0L", "value"), "void")}    }}
{atomics(k, "segment", "0L", "", "", "value")}
    /**
     * The raw value under a synchronized wrapper (Python's {{@code get_obj()}}): same memory, no lock.
     *
     * @throws UnsupportedOperationException when this value is already raw
     */
    @Override
    public {cls} getObj() {{
        return ({cls}) super.getObj();
    }}

    @Override
    {cls} withLock(SharedLock lock, boolean ownsLock) {{
        return new {cls}(type(), block, base, lock, ownsLock);
    }}
}}
"""


def gen_array(k):
    n, j = k["name"], k["j"]
    cls = f"{n}Array"
    chk = check(k, "value", "value")
    idx = "        Objects.checkIndex(index, length);\n"
    size = f"{k['layout']}.byteSize()"
    off = "at(index)"
    of = OF[k["layout"]]
    ld = lambda o: k["read"].format(r=f"rawAt({o})")
    st = lambda o, v: f"rawAt({o}, {k['write'].format(v=v)})"
    loop_to = (f"        for (int i = 0; i < count; i++) {{\n"
               f"            dst[dstFrom + i] = {ld('(from + i) * stride')};\n        }}\n")
    loop_from = (f"        for (int i = 0; i < count; i++) {{\n"
                 f"            {st('(to + i) * stride', 'src[srcFrom + i]')};\n        }}\n")
    if k["memcpy"] and not k["checked"]:
        copy_to = (f"        if (stride == {size} && layout == null) {{ // contiguous, native: one memory copy\n"
                   f"            MemorySegment.copy(segment, {k['layout']}, from * {size}, dst, dstFrom, count);\n"
                   f"            return;\n        }}\n" + loop_to)
        copy_from = (f"        if (stride == {size} && layout == null) {{ // contiguous, native: one memory copy\n"
                     f"            MemorySegment.copy(src, srcFrom, segment, {k['layout']}, to * {size}, count);\n"
                     f"            return;\n        }}\n" + loop_from)
        validate = ""
    else:
        copy_to = loop_to
        copy_from = loop_from
        validate = (f"        for (int i = 0; i < count; i++) {{\n"
                    f"            {j} value = src[srcFrom + i];\n{check(k, 'value', 'src[' + chr(34) + ' + (srcFrom + i) + ' + chr(34) + ']').replace('            ', '                ').replace('        if', '            if').replace('        }', '            }')}"
                    f"        }}\n") if k["checked"] else ""
    extra = EXTRA_ARRAY.get(n, "")
    base_cls = "SharedArray"
    return f"""{HEADER}package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.Handle;
import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.{k['layout']};

/**
 * A shared array of C {{@code {k['c']}}} (typecode {codes_doc(k)}): each element is {k['repr']}.
 *
 * <p>Element and range accesses take the lock once per call when this array is synchronized (see
 * {{@link SharedCTypes#array}}). Bulk copies to and from Java arrays run at memory-copy speed where the Java and
 * C representations agree.
 *
 * {ATOMIC_DOC[k['atomic']]}
 */
public final class {cls} extends {base_cls} implements Iterable<{k['box']}> {{
    private static final VarHandle VH = {k['layout']}.varHandle();

    {cls}(CType<?, ?> type, SharedBlock block, long base, long length, long stride, ValueLayout layout,
            SharedLock lock, boolean ownsLock) {{
        super(type, block, base, length, stride, layout, lock, ownsLock);
    }}

    /**
     * Attaches to the array {{@code handle}} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle names another kind of object or another type
     * @throws IllegalStateException when the memory no longer exists
     */
    public static {cls} attach(Handle handle) {{
        return SharedCTypes.attachAs(handle, {cls}.class);
    }}

    /**
     * The element at {{@code index}}; takes the lock when synchronized.
     *
     * @throws IndexOutOfBoundsException unless {{@code 0 <= index < length()}}
     */
    public {j} get(long index) {{
{idx}{locked(ld(off), j)}    }}

    /**
     * Sets the element at {{@code index}}; takes the lock when synchronized.
     *
     * @throws IndexOutOfBoundsException unless {{@code 0 <= index < length()}}
     * @throws IllegalArgumentException when {{@code value}} is outside the C type's range
     */
    public void set(long index, {j} value) {{
{idx}{chk}{locked(st(off, "value"), "void")}    }}
{atomics(k, "segment", off, "long index", idx + "        checkAtomic();" + chr(10), "element")}
    /**
     * Copies {{@code count}} elements starting at {{@code from}} into {{@code dst}} starting at {{@code dstFrom}}.
     *
     * @throws IndexOutOfBoundsException when either range lies outside its array
     */
    public void copyTo(long from, {j}[] dst, int dstFrom, int count) {{
        checkRange("from", from, count);
        Objects.checkFromIndexSize(dstFrom, count, dst.length);
        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {{
            read(from, dst, dstFrom, count);
            return;
        }}
        l.lock();
        try {{
            read(from, dst, dstFrom, count);
        }} finally {{
            l.unlock();
        }}
    }}

    /** Copies out without locking: the caller holds the lock, or there is none. */
    private void read(long from, {j}[] dst, int dstFrom, int count) {{
{copy_to}    }}

    /**
     * Copies {{@code count}} elements of {{@code src}} starting at {{@code srcFrom}} into this array at {{@code to}}.
     *
     * @throws IndexOutOfBoundsException when either range lies outside its array
     * @throws IllegalArgumentException when an element is outside the C type's range (nothing is written then)
     */
    public void copyFrom({j}[] src, int srcFrom, long to, int count) {{
        Objects.checkFromIndexSize(srcFrom, count, src.length);
        checkRange("to", to, count);
{validate}        SharedLock l = lock;
        if (l == null || l.isHeldByCurrentThread()) {{
            write(src, srcFrom, to, count);
            return;
        }}
        l.lock();
        try {{
            write(src, srcFrom, to, count);
        }} finally {{
            l.unlock();
        }}
    }}

    /** Copies in without locking or validating: the caller holds the lock (or there is none) and checked src. */
    private void write({j}[] src, int srcFrom, long to, int count) {{
{copy_from}    }}

    /**
     * Sets the elements {{@code from}} (inclusive) to {{@code to}} (exclusive) to {{@code values}}, whose length
     * must be {{@code to - from}}, as Python's slice assignment {{@code a[from:to] = values}} requires.
     *
     * @throws IllegalArgumentException when {{@code values.length != to - from}}
     * @throws IndexOutOfBoundsException when the range lies outside this array
     */
    public void setRange(long from, long to, {j}[] values) {{
        Objects.checkFromToIndex(from, to, length);
        if (values.length != to - from) {{
            throw new IllegalArgumentException("values must have exactly to - from = " + (to - from)
                    + " elements: values.length=" + values.length + " (from=" + from + ", to=" + to + ")");
        }}
        copyFrom(values, 0, from, values.length);
    }}

    /** The elements {{@code from}} (inclusive) to {{@code to}} (exclusive) in a new Java array. */
    public {j}[] toArray(long from, long to) {{
        Objects.checkFromToIndex(from, to, length);
        {j}[] result = new {j}[javaLength(to - from)];
        copyTo(from, result, 0, result.length);
        return result;
    }}

    /** All elements in a new Java array. */
    public {j}[] toArray() {{
        return toArray(0, length);
    }}

    /**
     * A view of the elements {{@code from}} (inclusive) to {{@code to}} (exclusive): same memory, same lock, same
     * lifetime. Unlike Python's {{@code a[from:to]}}, which copies, writes through the view change this array.
     *
     * @throws IndexOutOfBoundsException unless {{@code 0 <= from <= to <= length()}}
     */
    public {cls} slice(long from, long to) {{
        return slice(from, to, 1);
    }}

    /**
     * A view of every {{@code step}}-th element from {{@code from}} (inclusive) up to {{@code to}} (exclusive), as
     * Python's {{@code a[from:to:step]}} and numpy's strides select them: same memory, same lock, same lifetime,
     * usable wherever an array is (its handle records the stride). Java's index rules hold: no negative indices
     * or steps.
     *
     * @throws IndexOutOfBoundsException unless {{@code 0 <= from <= to <= length()}}
     * @throws IllegalArgumentException unless {{@code step >= 1}}
     */
    public {cls} slice(long from, long to, long step) {{
        long n = sliceLength(from, to, step);
        return new {cls}((CType<?, ?>) elementType(), block, base + from * stride, n, sliceStride(n, step), layout,
                lock, false);
    }}

    /**
     * The offset of element {{@code index}}. Written so that the JIT compiler, which sees only contiguous arrays in
     * most programs, keeps the constant element size in the address and vectorizes loops as over a C array.
     */
    private long at(long index) {{
        return stride == {size} ? index * {size} : index * stride;
    }}

    /** The element at offset {{@code at}}, read with its type's layout or, in a packed or byte-swapped structure, its own. */
    private {k['raw']} rawAt(long at) {{
        ValueLayout odd = layout;
        return odd == null ? segment.get({k['layout']}, at) : segment.get((ValueLayout.{of}) odd, at);
    }}

    /** Writes the element at offset {{@code at}} as {{@link #rawAt(long)}} reads it. */
    private void rawAt(long at, {k['raw']} value) {{
        ValueLayout odd = layout;
        if (odd == null) {{
            segment.set({k['layout']}, at, value);
        }} else {{
            segment.set((ValueLayout.{of}) odd, at, value);
        }}
    }}

    /** Iterates over the elements, reading each when it is reached. */
    @Override
    public Iterator<{k['box']}> iterator() {{
        return elements(this::get);
    }}

    /**
     * The raw array under a synchronized wrapper (Python's {{@code get_obj()}}): same memory, no lock.
     *
     * @throws UnsupportedOperationException when this array is already raw
     */
    @Override
    public {cls} getObj() {{
        return ({cls}) super.getObj();
    }}

    @Override
    {cls} withLock(SharedLock lock, boolean ownsLock) {{
        return new {cls}((CType<?, ?>) elementType(), block, base, length, stride, layout, lock, ownsLock);
    }}
{extra}}}
"""


EXTRA_ARRAY = {
    "Char": """
    /**
     * The bytes up to the first NUL, or all of them when there is none: ctypes' {@code value} of a {@code c_char}
     * array, as C's {@code strlen} sees the buffer.
     */
    public byte[] value() {
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            long end = 0;
            while (end < length && rawAt(end * stride) != 0) {
                end++;
            }
            byte[] bytes = new byte[javaLength(end)];
            read(0, bytes, 0, bytes.length);
            return bytes;
        } finally {
            Locks.release(l, took);
        }
    }

    /**
     * Stores {@code bytes} at the start of the buffer followed by a NUL when there is room (ctypes' {@code value}
     * setter); bytes after that NUL keep their old contents, as in ctypes.
     *
     * @throws IllegalArgumentException when {@code bytes} is longer than the buffer: nothing is truncated silently
     */
    public void value(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes must be an array, not null: bytes=null");
        }
        if (bytes.length > length) {
            throw new IllegalArgumentException("bytes too long for a c_char array of length " + length
                    + ": bytes.length=" + bytes.length);
        }
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            write(bytes, 0, 0, bytes.length);
            if (bytes.length < length) {
                rawAt(bytes.length * stride, (byte) 0);
            }
        } finally {
            Locks.release(l, took);
        }
    }

    /** {@link #value()} decoded with {@code charset}. */
    public String value(java.nio.charset.Charset charset) {
        return new String(value(), charset);
    }

    /**
     * {@link #value(byte[])} of {@code text} encoded with {@code charset}.
     *
     * @throws IllegalArgumentException when the encoded text is longer than the buffer
     */
    public void value(String text, java.nio.charset.Charset charset) {
        if (text == null || charset == null) {
            throw new IllegalArgumentException("text and charset must not be null: text=" + text + ", charset="
                    + charset);
        }
        value(text.getBytes(charset));
    }

    /** Every byte of the buffer, NULs included: ctypes' {@code raw} (the seed's {@code rawvalue}). */
    public byte[] rawValue() {
        return toArray();
    }

    /**
     * Stores {@code bytes} at the start of the buffer, adding no NUL (ctypes' {@code raw} setter).
     *
     * @throws IllegalArgumentException when {@code bytes} is longer than the buffer
     */
    public void rawValue(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("bytes must be an array, not null: bytes=null");
        }
        if (bytes.length > length) {
            throw new IllegalArgumentException("bytes too long for a c_char array of length " + length
                    + ": bytes.length=" + bytes.length);
        }
        copyFrom(bytes, 0, 0, bytes.length);
    }
""",
    "WChar": """
    /** The code points up to the first NUL, or all of them, as a String: ctypes' {@code value} of a {@code c_wchar} array. */
    public String value() {
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            StringBuilder text = new StringBuilder();
            for (long i = 0; i < length; i++) {
                int codePoint = rawAt(i * stride);
                if (codePoint == 0) {
                    break;
                }
                if (!Character.isValidCodePoint(codePoint)) {
                    throw new IllegalStateException("the c_wchar at index " + i + " holds 0x"
                            + Integer.toHexString(codePoint) + ", which is no Unicode code point (0 to 0x10ffff), so "
                            + "the array has no text value; get(" + i + ") reads the number");
                }
                text.appendCodePoint(codePoint);
            }
            return text.toString();
        } finally {
            Locks.release(l, took);
        }
    }

    /**
     * Stores the code points of {@code text} followed by a NUL when there is room.
     *
     * @throws IllegalArgumentException when {@code text} has more code points than the array has elements
     */
    public void value(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text must be a string, not null: text=null");
        }
        int[] codePoints = text.codePoints().toArray();
        if (codePoints.length > length) {
            throw new IllegalArgumentException("text too long for a c_wchar array of length " + length
                    + ": text has " + codePoints.length + " code points");
        }
        SharedLock l = lock;
        boolean took = Locks.take(l);
        try {
            write(codePoints, 0, 0, codePoints.length);
            if (codePoints.length < length) {
                rawAt(codePoints.length * stride, 0);
            }
        } finally {
            Locks.release(l, took);
        }
    }
""",
}


def gen_field(k):
    native = k["layout"]
    k = dict(k, layout="layout")  # a field reads with its own layout component, not the static constant
    n, j = k["name"], k["j"]
    cls = f"{n}Field"
    chk = check(k, "value", "value")
    fast_at = "struct.base + struct.index * structSize + offset"
    return f"""{HEADER}package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A structure field of C type {{@code {k['c']}}}: reads and writes it in place, in any structure of its type.
 * Each field is {k['repr']}.
 * Get it from {{@link StructType#field(String, Class)}} and keep it in a {{@code static final}} field: its offset and
 * its structure's size are then constants to the JIT compiler, so a loop over an array of structures compiles as a
 * loop over raw memory does.
 *
 * @param owner      the structure type the field belongs to
 * @param name       the field's name
 * @param type       the field's C type
 * @param offset     the offset from the start of the structure, as C's {{@code offsetof}}
 * @param structSize the size of the whole structure, as C's {{@code sizeof}}
 * @param layout     how the field is read: {{@code {native}}}, byte-aligned (a structure may sit at any offset of
 *                   a packed one; an aligned address is read with the same single instruction), and byte-swapped
 *                   in a structure declared with the other byte order
 */
public record {cls}(StructType<?> owner, String name, DataType type, long offset, long structSize,
        ValueLayout.{OF[native]} layout) implements Field {{
    /**
     * Checks the declaration against its structure type.
     *
     * @throws IllegalArgumentException when the type is not {{@code {k['c']}}}, the offset or size do not fit, or
     *                                  the layout is not one of the type's
     */
    public {cls} {{
        Struct.checkField(owner, name, type, offset, structSize, Kind.{n.upper()}, layout);
    }}

    /** The field's value in {{@code struct}}; takes the structure's lock when it is synchronized. */
    public {j} get(Struct<?> struct) {{
        if (struct.rawType == owner) {{ // an unsynchronized structure of this field's type: one compare
            MemorySegment alone = struct.alone;
            if (alone != null) {{
                return {load(k, "alone", "offset")};
            }}
            return {load(k, "struct.segment", fast_at)};
        }}
        Struct.checkOwner(struct, this);
        long at = struct.offset + offset;
{locked(load(k, "struct.segment", "at"), j).replace("lock;", "struct.lock;")}    }}

    /**
     * Sets the field in {{@code struct}}; takes the structure's lock when it is synchronized.
     *
     * @throws IllegalArgumentException when {{@code value}} is outside the C type's range
     */
    public void set(Struct<?> struct, {j} value) {{
{chk}        if (struct.rawType == owner) {{ // an unsynchronized structure of this field's type: one compare
            MemorySegment alone = struct.alone;
            if (alone != null) {{
                {store(k, "alone", "offset", "value")};
            }} else {{
                {store(k, "struct.segment", fast_at, "value")};
            }}
            return;
        }}
        Struct.checkOwner(struct, this);
        long at = struct.offset + offset;
{locked(store(k, "struct.segment", "at", "value"), "void").replace("lock;", "struct.lock;")}    }}

    @Override
    public String toString() {{
        return Struct.describe(this);
    }}
}}
"""


def gen_kind_enum():
    cases = []
    for k in KINDS:
        n = k["name"]
        lo, hi = k.get("bounds", ("0", "0"))
        of = OF[k["layout"]]
        cases.append(f"    {n.upper()}({k['layout']}, {'true' if 'bounds' in k else 'false'}, {lo}, {hi})")
    values = "".join(f"            case {k['name'].upper()} -> new {k['name']}Value(type, block, base, lock, ownsLock);\n"
                     for k in KINDS)
    arrays = "".join(f"            case {k['name'].upper()} -> new {k['name']}Array(type, block, base, length, stride, layout, lock, "
                     f"ownsLock);\n" for k in KINDS)
    fields = "".join(f"            case {k['name'].upper()} -> new {k['name']}Field(owner, name, type, offset, structSize, "
                     f"(ValueLayout.{OF[k['layout']]}) layout);\n" for k in KINDS)
    return f"""{HEADER}package org.multiprocess4j.sharedctypes;

import org.multiprocess4j.SharedLock;
import org.multiprocess4j.internal.memory.SharedBlock;

import java.lang.foreign.ValueLayout;

import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The storage classes of the C primitive types, and the constructors of their typed objects: called through
 * switches, not method references, whose bootstraps would cost a cold JVM's first shared object some 40 classes.
 */
enum Kind {{
{(","+chr(10)).join(cases)};

    final ValueLayout layout;
    /** Whether this is an integer type, with the range {{@link #min}}..{{@link #max}}. */
    final boolean integral;
    /** The smallest value of an integer type. */
    final long min;
    /** The largest value of an integer type; for the 64-bit unsigned type, -1 stands for 2<sup>64</sup>-1. */
    final long max;

    Kind(ValueLayout layout, boolean integral, long min, long max) {{
        this.layout = layout;
        this.integral = integral;
        this.min = min;
        this.max = max;
    }}

    /** A value object of this kind over {{@code block}} at {{@code base}}. */
    SharedValue newValue(CType<?, ?> type, SharedBlock block, long base, SharedLock lock, boolean ownsLock) {{
        return switch (this) {{
{values}        }};
    }}

    /** An array object of this kind over {{@code block}} from {{@code base}}. */
    SharedArray newArray(CType<?, ?> type, SharedBlock block, long base, long length, long stride,
                         ValueLayout layout, SharedLock lock, boolean ownsLock) {{
        return switch (this) {{
{arrays}        }};
    }}

    /** A structure field of this kind. */
    Field newField(StructType<?> owner, String name, DataType type, long offset, long structSize,
                   ValueLayout layout) {{
        return switch (this) {{
{fields}        }};
    }}

    /** The integer range as error messages state it: {{@code -128..127}}, {{@code 0..18446744073709551615}}. */
    String range() {{
        return min + ".." + (this == ULONG ? Long.toUnsignedString(max) : Long.toString(max));
    }}

    /** Whether {{@code value}} is in an integer type's range (a 64-bit unsigned type takes every long's bits). */
    boolean inRange(long value) {{
        return this == ULONG || (value >= min && value <= max);
    }}

    IllegalArgumentException outOfRange(String param, Object value) {{
        return new IllegalArgumentException(param + " out of range for C " + C_NAMES[ordinal()] + ": " + param + "="
                + value + ", must be in " + range());
    }}

    private static final String[] C_NAMES = {{{", ".join('"' + k["c"] + '"' for k in KINDS)}}};
}}
"""


def generated():
    """Every generated file, as {path: text}."""
    files = {}
    for k in KINDS:
        for suffix, gen in (("Value", gen_value), ("Array", gen_array), ("Field", gen_field)):
            files[f"{OUT}/{k['name']}{suffix}.java"] = gen(k)
    files[f"{OUT}/Kind.java"] = gen_kind_enum()
    return files


def main(argv):
    files = generated()
    if argv[1:] == ["--check"]:
        stale = []
        for path, text in files.items():
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(path)
            except FileNotFoundError:
                stale.append(path)
        for path in stale:
            print(f"differs from what tools/gen_kinds.py generates: {path}")
        return 1 if stale else 0
    os.makedirs(OUT, exist_ok=True)
    for path, text in files.items():
        with open(path, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

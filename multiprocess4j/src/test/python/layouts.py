"""The Python side of PythonLayoutsTest: structures laid out by every rule, read and written in place."""
import multiprocess4j as mp4j


def layouts(un, wire, bits, big, nest, swapped_bits):
    assert un.d == 1.5, un.d
    un.i = 7
    assert (wire.kind, wire.length, wire.seq, wire.port) == (0x7F, 0xA1B2C3D4, -2, 8080)
    assert type(wire)._pack_ == 1
    wire.port = 443
    assert (bits.a, bits.b, bits.c, bits.d, bits.e, bits.f, bits.g, bits.h, bits.s) == \
           (5, 17, -3, 0xBEEF, 0x2345678, 6, -123456789, -46, -200), [getattr(bits, f[0]) for f in bits._fields_]
    bits.c = -5
    assert list(big.v) == [-1, 2, 0x01020304] and list(big.d) == [1.5, -2.0], (list(big.v), list(big.d))
    big.v[0] = 9
    assert (nest.p.x, nest.s.ids[2], nest.s.path[1].x) == (1.5, 7, 0.25)
    nest.pts[1].y = 3.5
    b = swapped_bits
    assert (b.a, b.b, b.c, b.d, b.e, b.f, b.g, b.h) == (0x1234, -2, 1.5, 5, 0xABC, -3, b"xy", 0x0102030405060708)
    b.e = 0x123


def refused_or_equal(handle, values):
    """A structure whose bit fields this Python's ctypes may place differently from C: either it is refused,
    saying why, or it reads as C wrote it."""
    try:
        s = mp4j.attach(handle)
    except mp4j.AttachError as e:
        assert "lays out differently from C" in str(e), e
        return
    assert [getattr(s, f[0]) for f in s._fields_] == values

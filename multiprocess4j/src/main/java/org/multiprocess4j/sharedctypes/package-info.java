/**
 * C values, arrays and structures in shared memory: the Java form of Python's
 * {@code multiprocessing.sharedctypes}. Start at {@link org.multiprocess4j.sharedctypes.SharedCTypes} (the
 * factories), {@link org.multiprocess4j.sharedctypes.CType} (the C types, with ctypes' names and typecodes) and
 * {@link org.multiprocess4j.sharedctypes.Struct} (structures).
 *
 * <p>Memory layout is C's on Linux x86-64 and aarch64, as ctypes gives it, so C or Python code mapping the same memory reads
 * the same bytes. Accessors are unboxed and typed per C type ({@link org.multiprocess4j.sharedctypes.IntValue},
 * {@link org.multiprocess4j.sharedctypes.DoubleArray}, ...); synchronized objects take their lock once per
 * access; 4- and 8-byte integer values and elements, and floats and doubles, also offer lock-free atomics.
 */
package org.multiprocess4j.sharedctypes;

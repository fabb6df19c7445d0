package org.multiprocess4j;

import org.multiprocess4j.internal.codec.ValueCodec;
import org.multiprocess4j.internal.events.Events;
import org.multiprocess4j.internal.memory.HandleCodec;
import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.process.Bootstrap;
import org.multiprocess4j.internal.queue.QueueCore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded queue between processes, in shared memory: Python's {@code multiprocessing.Queue} as a
 * {@link BlockingQueue}. Any process that has it (an argument of a {@link ChildProcess}, or
 * {@link #attach(Handle)}) puts and takes; producers and consumers may be many.
 *
 * {@snippet :
 * try (ProcessQueue<String> queue = ProcessQueue.create(1 << 20)) {   // a ring of 1 MiB
 *     new ChildProcess(Worker::produce, queue).start();               // queue.put("...") there
 *     String first = queue.take();
 * }
 * }
 *
 * <p>Elements: {@code byte[]}, {@code String}, {@code Integer}, {@code Long}, {@code Double} and {@code Boolean}
 * travel in a compact form of their own; any other {@link Serializable} object by Java serialization. The queue
 * holds bytes: its capacity is a number of bytes (each message costs 5 bytes and its payload), a message larger
 * than the ring is refused with {@link IllegalArgumentException}, and {@link #remainingCapacity()} is the number
 * of the smallest messages that still fit. {@code null} is refused, as every {@code BlockingQueue} refuses it.
 *
 * <p>Deaths: a producer killed inside a put loses only the message it was putting, which no one ever sees, torn
 * or whole; a consumer killed inside a take loses at most the message it was taking: killed before it has copied
 * the message out of the ring (under the queue's lock), it leaves it for the next consumer, and killed after (while
 * the message is read into an object), it loses it. {@link #drainTo} takes one message at a time, so a consumer
 * killed inside it loses at most one too. Nothing a dead process leaves blocks the others: the queue's lock is
 * robust, as {@link ProcessLock} is.
 *
 * @param <E> the type of the elements
 */
public final class ProcessQueue<E> extends AbstractQueue<E> implements BlockingQueue<E>, SharedObject {
    private static final byte SERIALIZED = 0;
    /** The first byte of a {@code byte[]} element's message: see {@link #putEncoded}. */
    static final byte BYTES = 1;
    private static final byte STRING = 2;
    private static final byte INTEGER = 3;
    private static final byte LONG = 4;
    private static final byte DOUBLE = 5;
    private static final byte BOOLEAN = 6;

    /**
     * The largest ring {@link #create} makes: 128 TiB, far past any shared-memory file system (a ring that does not
     * fit is refused by the allocation, saying how much room there is).
     */
    public static final long MAX_CAPACITY_BYTES = 1L << 47;

    private final SharedBlock block;
    private final QueueCore core;

    private ProcessQueue(SharedBlock block, boolean init) {
        this.block = block;
        try {
            this.core = new QueueCore(block.segment(), block.arena().arenaId(), block.offset(), block.generation(),
                    init, () -> encoded().toString());
        } catch (RuntimeException e) {
            block.close();
            throw e;
        }
    }

    /**
     * A queue whose ring holds {@code capacityBytes} bytes of messages.
     *
     * @throws IllegalArgumentException unless {@code capacityBytes} is from 64 to {@link #MAX_CAPACITY_BYTES}
     */
    public static <E> ProcessQueue<E> create(long capacityBytes) {
        if (capacityBytes < 64 || capacityBytes > MAX_CAPACITY_BYTES) {
            throw new IllegalArgumentException("capacityBytes must be from 64 to 2^47 (" + MAX_CAPACITY_BYTES
                    + "): capacityBytes=" + capacityBytes);
        }
        return new ProcessQueue<>(SharedBlock.allocate(QueueCore.HEADER + capacityBytes, QueueCore.ALIGNMENT,
                "1\nQ"), true);
    }

    /**
     * Attaches to the queue {@code handle} names, in this or another process.
     *
     * @throws IllegalArgumentException when the handle does not name a queue
     */
    public static <E> ProcessQueue<E> attach(Handle handle) {
        return Events.attaching(handle, () -> attachUnrecorded(handle));
    }

    private static <E> ProcessQueue<E> attachUnrecorded(Handle handle) {
        HandleCodec.HandleData data = HandleCodec.decoded(handle);
        if (!data.signature().equals("Q") || data.view() != 0 || data.count() != 1 || data.stride() != 0
                || data.lock() != null || data.bytes() <= QueueCore.HEADER || data.block() % QueueCore.ALIGNMENT != 0) {
            throw new IllegalArgumentException("handle does not name a ProcessQueue: handle=" + handle);
        }
        SharedBlock block = SharedBlock.attach(data.arena(), data.block(), data.generation());
        if (block.segment().byteSize() != data.bytes()) {
            long size = block.segment().byteSize();
            block.close();
            throw new IllegalArgumentException("handle's block is not the queue it names: it holds " + size
                    + " bytes, the handle says " + data.bytes() + ", handle=" + handle);
        }
        return new ProcessQueue<>(block, false);
    }

    @Override
    public Handle handle() {
        if (!block.isAlive()) {
            throw new IllegalStateException("closed: ProcessQueue " + encoded() + " was closed in this process: it has no "
                    + "handle to give");
        }
        return encoded();
    }

    /** The handle, closed or not: what messages about this queue name it by. */
    private Handle encoded() {
        return (Handle) HandleCodec.handleOf(new HandleCodec.HandleData("Q", block.arena(), block.offset(),
                block.generation(), 0, block.segment().byteSize(), 1));
    }

    // ---- encoding ---------------------------------------------------------------------------------------------

    private static byte[] encode(Object e) {
        Objects.requireNonNull(e, "a ProcessQueue holds no null element");
        return switch (e) {
            case byte[] bytes -> tagged(BYTES, bytes);
            case String s when !ValueCodec.hasUnpairedSurrogate(s) -> // else serialized: UTF-8 cannot carry it
                    tagged(STRING, s.getBytes(StandardCharsets.UTF_8));
            case Integer i -> tagged(INTEGER, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(i).array());
            case Long l -> tagged(LONG, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(l).array());
            case Double d -> tagged(DOUBLE, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(d)
                    .array());
            case Boolean b -> new byte[]{BOOLEAN, (byte) (b ? 1 : 0)};
            case Serializable s -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(SERIALIZED);
                try (ObjectOutputStream o = new ObjectOutputStream(out)) {
                    o.writeObject(s);
                } catch (IOException x) {
                    throw new IllegalArgumentException("element cannot be serialized: " + x, x);
                }
                yield out.toByteArray();
            }
            default -> throw new IllegalArgumentException("element must be a byte[], String, boxed primitive or "
                    + "Serializable object: element class=" + e.getClass().getName());
        };
    }

    private static byte[] tagged(byte tag, byte[] payload) {
        byte[] message = new byte[payload.length + 1];
        message[0] = tag;
        System.arraycopy(payload, 0, message, 1, payload.length);
        return message;
    }

    @SuppressWarnings("unchecked")
    private static <E> E decode(byte[] m) {
        int expected = m.length == 0 ? -1 : switch (m[0]) { // a tag, and for a number exactly its bytes after it
            case INTEGER -> 5;
            case LONG, DOUBLE -> 9;
            case BOOLEAN -> 2;
            default -> m.length;
        };
        if (m.length != expected) {
            throw new IllegalStateException("the queue's memory is damaged: a message of " + m.length + " bytes"
                    + (m.length == 0 ? "" : " with tag " + m[0]));
        }
        ByteBuffer payload = ByteBuffer.wrap(m, 1, m.length - 1).order(ByteOrder.LITTLE_ENDIAN);
        Object value = switch (m[0]) {
            case BYTES -> java.util.Arrays.copyOfRange(m, 1, m.length);
            case STRING -> new String(m, 1, m.length - 1, StandardCharsets.UTF_8);
            case INTEGER -> payload.getInt();
            case LONG -> payload.getLong();
            case DOUBLE -> payload.getDouble();
            case BOOLEAN -> m[1] != 0;
            case SERIALIZED -> {
                try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(m, 1, m.length - 1))) {
                    in.setObjectInputFilter(Bootstrap.bounded(m.length, Long.MAX_VALUE));
                    yield in.readObject();
                } catch (IOException | ClassNotFoundException x) {
                    throw new UncheckedIOException(new IOException("an element cannot be deserialized here: " + x,
                            x));
                }
            }
            default -> throw new IllegalStateException("the queue holds a message of unknown kind " + m[0]);
        };
        return (E) value;
    }

    // ---- messages in their encoded form, for this package (the pool's queues) ---------------------------------

    /**
     * Puts a {@code byte[]} element already encoded: {@link #BYTES}, then its bytes. The pool writes its messages
     * so, and reads them back with {@link #takeEncoded}, so that no message is copied but into and out of the ring.
     */
    void putEncoded(byte[] message) throws InterruptedException {
        checkEncoded(message);
        core.put(message, Long.MAX_VALUE, true);
    }

    /**
     * As {@link #putEncoded}, whatever the calling thread's interrupt, which stays set: for a put that must not be
     * cut short, into a queue known to have room.
     */
    void putEncodedUninterruptibly(byte[] message) {
        checkEncoded(message);
        try {
            core.put(message, Long.MAX_VALUE, false);
        } catch (InterruptedException impossible) {
            throw new IllegalStateException("an uninterruptible put was interrupted", impossible);
        }
    }

    private static void checkEncoded(byte[] message) {
        if (message.length == 0 || message[0] != BYTES) {
            throw new IllegalArgumentException("an encoded byte[] element starts with its tag " + BYTES);
        }
    }

    /**
     * The oldest message as it lies in the ring, its tag first, waiting at most {@code timeoutNanos}; null when none
     * came in time. Whoever reads it checks the tag: any process that has the handle may put into the queue.
     */
    byte[] takeEncoded(long timeoutNanos) throws InterruptedException {
        return core.take(timeoutNanos, timeoutNanos > 0);
    }

    /**
     * As {@link #takeEncoded} with no wait at all: null unless a message is there and the lock is free now. It
     * announces no waiter, so that whoever puts or holds the lock has nobody to wake.
     */
    byte[] takeEncodedIfFree() {
        return core.takeIfFree();
    }

    /** Whether the queue looks empty, read without its lock (see {@link QueueCore#looksEmpty}). */
    boolean looksEmpty() {
        return core.looksEmpty();
    }

    /** Waits until a message looks to be there, without taking it (see {@link QueueCore#awaitMessage}). */
    boolean awaitEncoded(long timeoutNanos) throws InterruptedException {
        return core.awaitMessage(timeoutNanos);
    }

    // ---- BlockingQueue ----------------------------------------------------------------------------------------

    /**
     * Adds {@code e}, waiting for room as long as it takes.
     *
     * @throws IllegalArgumentException when {@code e} cannot be encoded or is larger than the ring
     */
    @Override
    public void put(E e) throws InterruptedException {
        core.put(encode(e), Long.MAX_VALUE, true);
    }

    /**
     * Adds {@code e} if there is room now.
     *
     * @throws IllegalStateException when the queue is full
     * @throws IllegalArgumentException when {@code e} cannot be encoded or is larger than the ring
     */
    @Override
    public boolean add(E e) {
        if (offer(e)) {
            return true;
        }
        throw new IllegalStateException("the queue is full: " + size() + " messages in its ring of "
                + capacityBytes() + " bytes, handle=" + handle());
    }

    @Override
    public boolean offer(E e) {
        try {
            return core.put(encode(e), 0, false);
        } catch (InterruptedException x) {
            throw new IllegalStateException(x);
        }
    }

    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        return core.put(encode(e), unit.toNanos(timeout), true);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A message that cannot be read here (its class is missing, or its {@code readObject} throws) is off the
     * queue all the same: its exception is thrown.
     */
    @Override
    public E take() throws InterruptedException {
        return decode(core.take(Long.MAX_VALUE, true));
    }

    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        byte[] m = core.take(unit.toNanos(timeout), true);
        return m == null ? null : decode(m);
    }

    @Override
    public E poll() {
        try {
            byte[] m = core.take(0, false);
            return m == null ? null : decode(m);
        } catch (InterruptedException x) {
            throw new IllegalStateException(x);
        }
    }

    @Override
    public E peek() {
        var messages = core.snapshot();
        return messages.isEmpty() ? null : decode(messages.getFirst());
    }

    /** The number of the smallest messages (5 bytes each) that still fit: an upper bound for any others. */
    @Override
    public int remainingCapacity() {
        return (int) Math.min(Integer.MAX_VALUE, core.free() / 5);
    }

    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    /**
     * {@inheritDoc}
     *
     * <p>At most the messages that are in the queue when it begins: each is taken off the queue, read and added to
     * {@code c} before the next is taken. One that cannot be read here (its class is missing, or its
     * {@code readObject} throws) is lost, and its exception thrown once the others are in {@code c}; an exception
     * from {@code c.add} ends the drain, leaving the messages after it in the queue.
     */
    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        Objects.requireNonNull(c, "c");
        if (c == this || c instanceof ProcessQueue<?> q && q.block.arena().arenaId() == block.arena().arenaId()
                && q.block.offset() == block.offset()) {
            throw new IllegalArgumentException("a queue cannot drain into itself (nor into another view of it): c="
                    + c);
        }
        Throwable[] unreadable = new Throwable[1];
        int drained = core.drain(maxElements, m -> {
            E element;
            try {
                element = decode(m);
            } catch (RuntimeException | Error e) { // a readObject may throw anything, a missing class an Error
                if (unreadable[0] == null) {
                    unreadable[0] = e;
                } else {
                    unreadable[0].addSuppressed(e);
                }
                return;
            }
            c.add(element);
        });
        switch (unreadable[0]) {
            case null -> {
                return drained;
            }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new AssertionError(unreadable[0]);
        }
    }

    /**
     * Not supported: a process queue gives up its messages only from its head ({@link #take}, {@link #poll},
     * {@link #drainTo}); so are {@code removeAll}, {@code retainAll}, {@code removeIf} and the iterator's
     * {@code remove}.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public boolean remove(Object o) {
        throw removeFromTheMiddle();
    }

    /**
     * Not supported: see {@link #remove(Object)}.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public boolean removeAll(Collection<?> c) {
        throw removeFromTheMiddle();
    }

    /**
     * Not supported: see {@link #remove(Object)}.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public boolean retainAll(Collection<?> c) {
        throw removeFromTheMiddle();
    }

    /**
     * Not supported: see {@link #remove(Object)}.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public boolean removeIf(java.util.function.Predicate<? super E> filter) {
        throw removeFromTheMiddle();
    }

    private static UnsupportedOperationException removeFromTheMiddle() {
        return new UnsupportedOperationException("a ProcessQueue gives up its messages only from its head: "
                + "take(), poll() or drainTo()");
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, core.count());
    }

    /** A snapshot of the elements, oldest first; its {@code remove} is not supported (see {@link #remove(Object)}). */
    @Override
    public Iterator<E> iterator() {
        Iterator<E> snapshot = core.snapshot().stream().<E>map(ProcessQueue::decode).toList().iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return snapshot.hasNext();
            }

            @Override
            public E next() {
                return snapshot.next();
            }

            @Override
            public void remove() {
                throw removeFromTheMiddle();
            }
        };
    }

    /** The ring's size in bytes. */
    public long capacityBytes() {
        return core.capacity();
    }

    /**
     * Ends this process's access; in the creating process the memory is freed.
     *
     * @throws IllegalStateException when threads of this process wait on the queue
     */
    @Override
    public void close() {
        int waiters = core.localWaiters();
        if (waiters > 0 && block.isAlive()) {
            throw new IllegalStateException("cannot close a ProcessQueue while " + waiters + " thread(s) of this "
                    + "process wait on it");
        }
        core.retire();
        block.close();
    }

    @Override
    public String toString() {
        return "ProcessQueue(" + size() + " messages, " + core.free() + " of " + core.capacity() + " bytes free)";
    }
}

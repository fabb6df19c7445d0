package org.multiprocess4j.coordination;

import java.util.ServiceLoader;

/**
 * Where named locks and values live: the one place a program chooses between shared memory on this host and a
 * coordination service across hosts. Every process that opens the same {@linkplain #address() address} gets the
 * same objects by the same names.
 *
 * <p>Addresses: {@code shm:...} (made by {@link #sharedMemory()}, read from {@link #address()}) and
 * {@code zookeeper://host:port[,host:port...]/root[?sessionTimeoutMs=N&connectionTimeoutMs=N&operationBoundMs=N]}
 * (with the {@code multiprocess4j-zookeeper} module on the class path). Names are 1 to 200 letters, digits,
 * '_', '.' or '-'.
 *
 * <p>Lifetimes differ, as the memory does: a shared-memory object lives as long as the process that created it
 * (create named objects in the parent before starting children that use them); a ZooKeeper object lives in the
 * ensemble until deleted there.
 */
public interface Backend extends AutoCloseable {
    /** The system property {@link #fromProperty()} reads: {@value}. */
    String PROPERTY = "multiprocess4j.backend";

    /**
     * The non-re-entrant lock named {@code name}, created on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule or names another kind of object
     */
    RobustLock lock(String name);

    /**
     * The re-entrant lock named {@code name}, created on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule or names another kind of object
     */
    RobustLock rlock(String name);

    /**
     * The 64-bit value named {@code name}, created holding zero on first use.
     *
     * @throws IllegalArgumentException when the name breaks the naming rule or names another kind of object
     */
    LongVariable longValue(String name);

    /** The address another process opens this backend with ({@link #open(String)}). */
    String address();

    /** Closes this process's access; in shared memory, frees the objects this process created. */
    @Override
    void close();

    /** A new shared-memory backend, owned by this process: children open it by its {@link #address()}. */
    static Backend sharedMemory() {
        return SharedMemoryBackend.create();
    }

    /**
     * Opens the backend {@code address} names.
     *
     * @throws IllegalArgumentException when the address is malformed, or no provider on the class path or module
     *                                  path serves its scheme
     */
    static Backend open(String address) {
        if (address == null) {
            throw new IllegalArgumentException("address must not be null");
        }
        if (address.startsWith("shm:")) {
            return SharedMemoryBackend.attach(address);
        }
        int colon = address.indexOf("://");
        if (colon <= 0) {
            throw new IllegalArgumentException("address must be shm:... or scheme://...: address=\"" + address + "\"");
        }
        String scheme = address.substring(0, colon);
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class, Backend.class.getClassLoader())) {
            if (provider.scheme().equals(scheme)) {
                return provider.open(address);
            }
        }
        throw new IllegalArgumentException("no backend provider for scheme '" + scheme + "' is on the class path"
                + (scheme.equals("zookeeper") ? " (add the multiprocess4j-zookeeper module)" : "")
                + ": address=\"" + address + "\"");
    }

    /**
     * The backend the system property {@value #PROPERTY} names, or a new shared-memory backend when it is not set.
     *
     * @throws IllegalArgumentException as {@link #open(String)}
     */
    static Backend fromProperty() {
        String address = System.getProperty(PROPERTY);
        return address == null || address.isBlank() ? sharedMemory() : open(address);
    }
}

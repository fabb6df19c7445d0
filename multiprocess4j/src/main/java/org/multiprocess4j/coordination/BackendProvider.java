package org.multiprocess4j.coordination;

/**
 * Opens the {@link Backend}s of one address scheme; found with {@link java.util.ServiceLoader} (a module's
 * {@code provides}, or {@code META-INF/services} on the class path). The ZooKeeper module provides
 * {@code zookeeper}.
 */
public interface BackendProvider {
    /** The scheme of the addresses this provider opens, as in {@code scheme://...}. */
    String scheme();

    /**
     * Opens the backend {@code address} names.
     *
     * @throws IllegalArgumentException when the address is malformed
     */
    Backend open(String address);
}

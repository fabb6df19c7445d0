/**
 * One program, two backends: locks and values written against {@link org.multiprocess4j.coordination.RobustLock}
 * and {@link org.multiprocess4j.coordination.LongVariable}, obtained by name from a
 * {@link org.multiprocess4j.coordination.Backend} chosen in one place — shared memory on this host, or a
 * coordination service across hosts (ZooKeeper, with the {@code multiprocess4j-zookeeper} module on the class
 * path).
 *
 * {@snippet :
 * try (Backend backend = Backend.fromProperty()) {     // -Dmultiprocess4j.backend=zookeeper://zk1:2181/app
 *     RobustLock lock = backend.lock("jobs");
 *     LongVariable done = backend.longValue("done");
 *     try (var held = lock.hold()) {
 *         done.set(done.get() + 1);
 *     }
 * }
 * }
 */
package org.multiprocess4j.coordination;

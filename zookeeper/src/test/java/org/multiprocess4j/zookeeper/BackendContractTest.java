package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.multiprocess4j.coordination.Backend;
import org.multiprocess4j.coordination.LongVariable;
import org.multiprocess4j.coordination.RobustLock;

/** One contract for both backends: what a program written against the interfaces may rely on. */
class BackendContractTest {

    static List<Named> backends() {
        return List.of(new Named("shared memory", Backend::sharedMemory),
                new Named("zookeeper", () -> Backend.open("zookeeper://" + SharedEnsemble.get().connectString()
                        + "/test/backend-" + UUID.randomUUID() + "?sessionTimeoutMs=2000&operationBoundMs=5000")));
    }

    record Named(String name, Supplier<Backend> opener) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void shouldGiveTheSameObjectsByNameToEveryOpenerOfTheAddress(Named b) {
        try (Backend backend = b.opener().get(); Backend other = Backend.open(backend.address())) {
            LongVariable v = backend.longValue("v");
            v.set(41);
            assertEquals(42, other.longValue("v").incrementAndGet());
            assertEquals(42, v.get());
            RobustLock lock = backend.lock("l");
            lock.lock();
            try {
                assertTrue(lock.isHeldByCurrentThread());
                assertFalse(lock.previousOwnerDied());
            } finally {
                lock.unlock();
            }
            try (var held = other.lock("l").hold()) {
                assertFalse(held.previousOwnerDied());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void shouldUpdateAtomically(Named b) throws Exception {
        try (Backend backend = b.opener().get()) {
            LongVariable v = backend.longValue("atomic");
            assertTrue(v.compareAndSet(0, 5));
            assertFalse(v.compareAndSet(0, 6));
            assertEquals(5, v.getAndSet(7));
            assertEquals(7, v.getAndAdd(3));
            assertEquals(12, v.addAndGet(2));
            assertEquals(11, v.decrementAndGet());
            Thread[] ts = new Thread[3];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 20; i++) {
                        v.getAndAdd(1);
                    }
                });
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(71, v.get());
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void shouldReenterOnlyTheReentrantLock(Named b) {
        try (Backend backend = b.opener().get()) {
            RobustLock r = backend.rlock("r");
            r.lock();
            r.lock();
            r.unlock();
            assertTrue(r.isHeldByCurrentThread());
            r.unlock();
            assertFalse(r.isHeldByCurrentThread());
            RobustLock plain = backend.lock("p");
            plain.lock();
            try {
                assertFalse(plain.tryLock(), "a non-re-entrant lock is not taken again");
            } catch (IllegalStateException refused) {
                assertTrue(refused.getMessage().contains("not re-entrant"), refused.getMessage());
            } finally {
                plain.unlock();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void shouldRefuseBadNames(Named b) {
        try (Backend backend = b.opener().get()) {
            for (String bad : new String[] {"", "a b", "a/b", "x".repeat(201)}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.lock(bad));
                assertTrue(e.getMessage().startsWith("name must be"), e.getMessage());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void shouldOpenTheZooKeeperSchemeThroughItsProviderAndRefuseBadAddresses() {
        String connect = SharedEnsemble.get().connectString();
        try (Backend backend = Backend.open("zookeeper://" + connect + "/test/provider")) {
            assertInstanceOf(ZooKeeperBackend.class, backend);
        }
        for (String bad : new String[] {"zookeeper://" + connect + "/r?sessionTimeoutMs=soon",
                "zookeeper://" + connect + "/r?color=red", "zookeeper://nohostport/r", "redis://x:1/r", "plain",
                "shm:nonsense"}) {
            assertThrows(IllegalArgumentException.class, () -> Backend.open(bad), bad);
        }
    }
}

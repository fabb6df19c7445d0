package org.multiprocess4j.coordination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.multiprocess4j.ChildProcess;
import org.multiprocess4j.ProcessLock;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.SharedCTypes;

class SharedMemoryBackendTest {

    static void count(String address, Integer times) {
        try (Backend backend = Backend.open(address)) {
            RobustLock lock = backend.lock("lock");
            LongVariable n = backend.longValue("n");
            for (int i = 0; i < times; i++) {
                try (var _ = lock.hold()) {
                    n.set(n.get() + 1);
                }
            }
        }
    }

    static void holdAndDie(String address) {
        Backend backend = Backend.open(address);
        backend.lock("lock").lock();
        Runtime.getRuntime().halt(3); // dies holding it
    }

    @Test
    void shouldShareNamedObjectsWithChildProcessesByAddress() {
        try (Backend backend = Backend.sharedMemory()) {
            LongVariable n = backend.longValue("n");
            RobustLock lock = backend.lock("lock");
            List<ChildProcess> children = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                ChildProcess c = new ChildProcess(SharedMemoryBackendTest::count, backend.address(), 5_000);
                c.start();
                children.add(c);
            }
            count(backend.address(), 5_000);
            for (ChildProcess c : children) {
                c.join();
                assertEquals(0, c.exitCode(), String.valueOf(c.exception()));
            }
            assertEquals(15_000, n.get());
            ChildProcess dying = new ChildProcess(SharedMemoryBackendTest::holdAndDie, backend.address());
            dying.start();
            dying.join();
            try (var held = lock.hold()) {
                assertTrue(held.previousOwnerDied(), "the interface reports the dead holder");
            }
        }
    }

    @Test
    void shouldRefuseANameOfAnotherKind() {
        try (Backend backend = Backend.sharedMemory()) {
            backend.lock("x");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.longValue("x"));
            assertTrue(e.getMessage().contains("names a lock, not a long value"), e.getMessage());
            try (Backend other = Backend.open(backend.address())) {
                assertThrows(IllegalArgumentException.class, () -> other.rlock("x"));
            }
        }
    }

    @Test
    void shouldRefuseBadAddresses() {
        try (ProcessLock lock = ProcessLock.create(); var value = SharedCTypes.rawValue(CType.c_long, 0L)) {
            for (String bad : new String[] {null, "", "shm:", "shm:a b", "shm:" + lock.handle(),
                    "shm:" + value.handle() + " " + value.handle(), "shm:" + lock.handle() + " " + value.handle(),
                    "zookeeper://127.0.0.1:2181/x"}) {
                assertThrows(IllegalArgumentException.class, () -> Backend.open(bad), String.valueOf(bad));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Backend.open("zookeeper://127.0.0.1:2181/x"));
            assertTrue(e.getMessage().contains("multiprocess4j-zookeeper"), e.getMessage());
        }
    }

    @Test
    void shouldSayWhenTheDirectoryIsFull() {
        try (Backend backend = Backend.sharedMemory()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                for (int i = 0; i < 100_000; i++) {
                    backend.longValue("v" + i);
                }
            });
            assertTrue(e.getMessage().contains("directory is full"), e.getMessage());
        }
    }
}

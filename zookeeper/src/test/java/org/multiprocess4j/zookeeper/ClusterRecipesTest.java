package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

/** The semaphore and barrier, Curator's recipes behind the library's names and checks. */
class ClusterRecipesTest {

    @Test
    void shouldHandOutAtMostItsPermitsAndTakeThemBack() throws Exception {
        try (Cluster cluster = Cluster.connect(SharedEnsemble.config("sem-" + UUID.randomUUID()))) {
            ClusterSemaphore s = cluster.semaphore("slots", 2);
            var first = s.acquire();
            var second = s.tryAcquire(Duration.ofSeconds(5));
            assertNotNull(second);
            assertNull(s.tryAcquire(Duration.ofMillis(200)), "no third permit");
            first.close();
            first.close(); // returned once
            try (var third = s.tryAcquire(Duration.ofSeconds(5))) {
                assertNotNull(third);
            }
            second.close();
            assertThrows(IllegalArgumentException.class, () -> cluster.semaphore("slots", 3));
        }
    }

    @Test
    void shouldLetPartiesPassTogetherAndTimeOutAlone() throws Exception {
        String root = "barrier-" + UUID.randomUUID();
        try (Cluster a = Cluster.connect(SharedEnsemble.config(root));
             Cluster b = Cluster.connect(SharedEnsemble.config(root))) {
            CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.barrier("meet", 2).await(Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(a.barrier("meet", 2).await(Duration.ofSeconds(20)));
            assertTrue(other.get());
            assertFalse(a.barrier("alone", 2).await(Duration.ofMillis(300)), "one party of two times out");
            assertThrows(IllegalArgumentException.class, () -> a.barrier("meet", 3));
        }
    }
}

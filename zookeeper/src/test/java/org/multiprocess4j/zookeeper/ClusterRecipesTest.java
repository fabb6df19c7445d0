package org.multiprocess4j.zookeeper;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** The semaphore: Curator's recipe behind the library's names and checks. */
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
}

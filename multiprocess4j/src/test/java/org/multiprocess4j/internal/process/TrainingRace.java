package org.multiprocess4j.internal.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One of two JVMs that miss a cache at the same moment: says "ready", waits for the go file, looks the cache up
 * with a stand-in training that writes its cache after 3 s, then says whether it trained, and ends once the cache
 * is published and its own training, if any, is over. Arguments: the cache directory, the jar, the go file.
 */
final class TrainingRace {
    private TrainingRace() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty(AotCache.DIRECTORY_PROPERTY, args[0]);
        String jar = args[1];
        Path go = Path.of(args[2]);
        System.out.println("ready");
        System.out.flush();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(go) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        AtomicInteger trainings = new AtomicInteger();
        List<String> options = AotCache.options(jar, AotCache.Profile.CHILD, o -> {
            trainings.incrementAndGet();
            try { // as a real training, it writes the cache as it ends
                return new ProcessBuilder("sh", "-c", "sleep 3; printf 'assembled cache' > \"$0\"",
                        o.getFirst().substring("-XX:AOTCacheOutput=".length())).start().toHandle();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        if (!options.isEmpty()) {
            throw new AssertionError("a cache before any training: " + options);
        }
        System.out.println(trainings.get() == 1 ? "trained" : "found it trained");
        System.out.flush();
        while ((AotCache.training() || AotCache.options(jar, AotCache.Profile.CHILD, null).isEmpty())
                && System.nanoTime() < deadline) {
            Thread.sleep(10); // polls the outcome: nothing here orders the two JVMs
        }
        if (AotCache.training() || AotCache.options(jar, AotCache.Profile.CHILD, null).isEmpty()) {
            throw new AssertionError("no cache published within 30 s");
        }
    }
}

package org.multiprocess4j.internal.process;

import org.multiprocess4j.internal.memory.SharedBlock;
import org.multiprocess4j.internal.os.Platform;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A child JVM booted ahead of need: it runs a child's command, warms up, reports {@link StatusLayout#READY} in its
 * status block and waits on its standard input for the {@link Bootstrap} that makes it the next child. At most one
 * waits per command (the JVM, its options and its class path), so a child is handed only a JVM it could have been
 * started as.
 *
 * <p>Lifetime: a standby ends when it is handed a bootstrap (it is then that child), after {@link #IDLE} unused
 * once booted (or what {@link #IDLE_PROPERTY} says; its parent then closes its standard input), or when its parent
 * ends however it ends (the kernel closes that pipe, which nothing else holds): it never outlives its parent, and an
 * unused one costs nothing for long.
 */
public final class Standby {
    /** The argument that tells the child's main class it is a standby; the status block's place follows it. */
    public static final String FLAG = "--standby";
    /** The system property that sets how long, in milliseconds, a standby waits unused before it ends. */
    public static final String IDLE_PROPERTY = "multiprocess4j.standby.idleMillis";
    /** How long a standby waits unused before it ends, unless {@link #IDLE_PROPERTY} says otherwise. */
    public static final Duration IDLE = Duration.ofSeconds(30);
    /** How long a child made of a standby runs, at most, before the next standby boots behind it. */
    private static final Duration BOOT_BEHIND = Duration.ofMillis(50);
    /** As {@link #BOOT_BEHIND}, for a child that started cold: a JVM boot and its first work take hundreds of ms. */
    private static final Duration BOOT_BEHIND_COLD = Duration.ofSeconds(1);
    /** The standby waiting for each command. */
    private static final Map<List<String>, Standby> WAITING = new ConcurrentHashMap<>();
    /** The commands for which a standby is about to boot. */
    private static final Set<List<String>> BOOTING = ConcurrentHashMap.newKeySet();

    private final List<String> command;
    private final Process process;
    private final SharedBlock status;
    private final String statusFile;
    private final AtomicBoolean claimed = new AtomicBoolean();
    /** How long it may wait unused once booted. */
    private final long idleMillis;

    private Standby(List<String> command, Process process, SharedBlock status, String statusFile, long idleMillis) {
        this.idleMillis = idleMillis;
        this.command = command;
        this.process = process;
        this.status = status;
        this.statusFile = statusFile;
    }

    /** Whether any standby is waiting to be claimed. */
    public static boolean anyWaiting() {
        return !WAITING.isEmpty();
    }

    /**
     * The standby waiting for {@code command}, claimed for one child; or null when none was waiting. The caller
     * then has the next one boot with {@link #bootBehind}.
     *
     * @param command the child's command: the {@code java} executable, options, and the main class last
     */
    public static Standby claim(List<String> command) {
        Standby standby = WAITING.remove(command);
        if (standby != null && !standby.claimed.compareAndSet(false, true)) {
            standby = null; // its idle time ran out as it was taken
        }
        if (standby != null && !standby.process.isAlive()) {
            standby.release();
            standby = null;
        }
        return standby;
    }

    /**
     * Boots the next standby for {@code command} once {@code child} has ended or has run for {@link #BOOT_BEHIND}
     * ({@link #BOOT_BEHIND_COLD} when it did not come from a standby, {@code warm}, and so is still booting itself):
     * on a machine of few cores a boot beside a short child would slow it by half.
     */
    public static void bootBehind(List<String> command, Process child, boolean warm) {
        if (WAITING.containsKey(command) || !BOOTING.add(command)) {
            return;
        }
        long delay = (warm ? BOOT_BEHIND : BOOT_BEHIND_COLD).toMillis();
        child.onExit().completeOnTimeout(null, delay, TimeUnit.MILLISECONDS)
                .thenRun(() -> Thread.ofPlatform().daemon().name("multiprocess4j standby boot").start(() -> {
                    try {
                        boot(command);
                    } finally {
                        BOOTING.remove(command);
                    }
                }));
    }

    /**
     * Boots a standby for {@code command} unless one waits already, and waits at most {@code timeout} until it is
     * ready.
     *
     * @return whether a standby for {@code command} is ready
     */
    public static boolean prepare(List<String> command, Duration timeout) throws InterruptedException {
        Standby standby = WAITING.get(command);
        if (standby == null) {
            standby = boot(command);
        }
        return standby != null && standby.awaitReady(timeout);
    }

    /** Starts a standby for {@code command} and makes it the one waiting; null when it cannot start. */
    private static Standby boot(List<String> command) {
        long idle = idleMillis(); // before anything starts: a bad setting must not leave a standby without an end
        SharedBlock status = SharedBlock.allocate(StatusLayout.SIZE, 8, "-\na standby JVM's status");
        String statusFile = Platform.current().descriptorPath(ProcessHandle.current().pid(), status.arena().fd())
                .toString();
        List<String> standbyCommand = new ArrayList<>(command);
        standbyCommand.addAll(List.of(FLAG, statusFile, Long.toString(status.arena().arenaId()),
                Long.toString(status.offset())));
        Process process;
        try {
            process = new ProcessBuilder(standbyCommand).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            status.close();
            System.getLogger("org.multiprocess4j").log(System.Logger.Level.WARNING,
                    "cannot boot a standby child JVM; children start cold: " + e.getMessage());
            return null;
        }
        Standby standby = new Standby(command, process, status, statusFile, idle);
        Standby before = WAITING.putIfAbsent(command, standby);
        if (before != null) {
            standby.claimed.set(true);
            standby.release(); // another boot won the race
            return before;
        }
        CompletableFuture.delayedExecutor(idle, TimeUnit.MILLISECONDS, ON_A_THREAD_OF_ITS_OWN).execute(standby::expire);
        return standby;
    }

    /**
     * Where an expiry runs: not the common pool, which a program's parallel streams or async tasks may keep busy
     * for as long as they like, and its standby alive with them.
     */
    private static final java.util.concurrent.Executor ON_A_THREAD_OF_ITS_OWN =
            task -> Thread.ofVirtual().name("multiprocess4j standby expiry").start(task);

    private static long idleMillis() {
        String value = System.getProperty(IDLE_PROPERTY);
        if (value == null) {
            return IDLE.toMillis();
        }
        try {
            long millis = Long.parseLong(value);
            if (millis >= 0) {
                return millis;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("the system property " + IDLE_PROPERTY + " must be a whole number of "
                + "milliseconds >= 0: " + IDLE_PROPERTY + "=" + value);
    }

    /** Ends this standby if it is still unused; one still booting is not idle yet, and is looked at again later. */
    private void expire() {
        if (!claimed.get() && process.isAlive() && StatusLayout.state(status.segment()) != StatusLayout.READY) {
            CompletableFuture.delayedExecutor(idleMillis, TimeUnit.MILLISECONDS, ON_A_THREAD_OF_ITS_OWN)
                    .execute(this::expire);
            return;
        }
        if (claimed.compareAndSet(false, true)) {
            WAITING.remove(command, this);
            release();
        }
    }

    /** Closes the standby's input, which ends it, and frees its status block once it has exited. */
    private void release() {
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // It has ended already.
        }
        process.onExit().thenRun(status::close);
    }

    /** Whether the standby has booted and waits for its bootstrap, waiting at most {@code timeout} for that. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        // Saturated: Duration.toNanos overflows past 292 years, and a deadline past Long.MAX_VALUE would too.
        long nanos = timeout.isNegative() ? 0
                : timeout.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : timeout.toNanos();
        long start = System.nanoTime();
        while (StatusLayout.state(status.segment()) != StatusLayout.READY) {
            if (!process.isAlive() || System.nanoTime() - start >= nanos) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** The standby's process, which its bootstrap's writer makes the child. */
    public Process process() {
        return process;
    }

    /** Its status block, which the child reports through. */
    public SharedBlock status() {
        return status;
    }

    /** The status block's file as the child opens it. */
    public String statusFile() {
        return statusFile;
    }
}

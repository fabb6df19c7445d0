package org.multiprocess4j;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.multiprocess4j.sharedctypes.CType;
import org.multiprocess4j.sharedctypes.SharedCTypes;
import org.multiprocess4j.testing.Python;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Python locks' machine code ({@code python/multiprocess4j/_fastlock.py}): its bytes are what its instructions
 * assemble to, it runs on this machine's CPython where it can, and its {@code with} keeps reference counts and hands
 * every case but the plain ones to Python. Its interoperation with Java is PythonInteropTest's.
 */
class PythonFastLockTest {
    private static final Path SCRIPT = Path.of("src", "test", "python", "fast_lock.py");

    @BeforeAll
    static void needsPython() throws InterruptedException {
        Python.required();
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    private static boolean present(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").start().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void theMachineCodeIsWhatItsInstructionsAssembleTo() throws Exception {
        assumeTrue(present("as") && present("objcopy"), "GNU as and objcopy are not installed here");
        String out = run("python3", "-c", "import sys; sys.path.insert(0, 'src/test/python'); "
                + "sys.path.insert(0, '../python'); import fast_lock; fast_lock.machine_code_listing()");
        int mark = out.lastIndexOf("# bytes ");
        String source = out.substring(0, mark);
        byte[] table = HexFormat.of().parseHex(out.substring(mark + "# bytes ".length()).strip());
        Path dir = Files.createTempDirectory("mp4j-asm");
        try {
            Files.writeString(dir.resolve("lock.s"), source);
            run("as", "--64", "-o", dir.resolve("lock.o").toString(), dir.resolve("lock.s").toString());
            run("objcopy", "-O", "binary", "-j", ".text", dir.resolve("lock.o").toString(),
                    dir.resolve("lock.bin").toString());
            assertArrayEquals(Files.readAllBytes(dir.resolve("lock.bin")), table,
                    "a row's machine code differs from what its instruction assembles to");
        } finally {
            for (String name : new String[] {"lock.s", "lock.o", "lock.bin"}) {
                Files.deleteIfExists(dir.resolve(name));
            }
            Files.delete(dir);
        }
    }

    @Test
    void theLocksRunTheMachineCodeWhereTheInterpreterCan() {
        Python.run(SCRIPT, "in_use");
    }

    @Test
    void withKeepsReferenceCounts() {
        Python.run(SCRIPT, "references_are_counted", ProcessRLock.create());
    }

    @Test
    void reEntryExceptionsReleasesByOtherThreadsAndMisuseAreHandled() {
        Python.run(SCRIPT, "depth_and_errors", ProcessRLock.create(), ProcessLock.create());
    }

    @Test
    void keyboardInterruptsAnywhereInContendedWithBlocksLeaveNoLockHeld() {
        Python.run(SCRIPT, "interrupted_while_contended", ProcessRLock.create(), 1.0);
    }

    @Test
    void keyboardInterruptsInWithBlocksOfSynchronizedValuesAndConditionsLeaveNoLockHeld() {
        Python.run(SCRIPT, "interrupted_wrappers", SharedCTypes.value(CType.c_int, 0),
                ProcessLock.create().newCondition(), 1.0);
    }

    @Test
    void wrappersGiveTrueAndAReplacedLockStateIsRefused() {
        Python.run(SCRIPT, "wrappers_return_true_and_replaced_states_are_refused", SharedCTypes.value(CType.c_int, 0),
                ProcessRLock.create().newCondition());
    }

    @Test
    void theCodesDataOutlivesAReloadAndTheInterpretersTeardown() {
        Python.run(SCRIPT, "used_after_reload_and_at_exit");
    }
}

package org.multiprocess4j.internal.os;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where the library runs, and what it says elsewhere. */
class ArchitectureTest {

    @Test
    void linuxOnX8664AndAarch64AreSupportedAndTheirSystemCallNumbersDiffer() {
        assertEquals(Architecture.X86_64, Architecture.of("Linux", "amd64"));
        assertEquals(Architecture.AARCH64, Architecture.of("Linux", "aarch64"));
        assertNotNull(Architecture.CURRENT, "this machine");
        assertEquals(Architecture.CURRENT == Architecture.X86_64 ? 202 : 98, LinuxPlatform.SYS_FUTEX);
    }

    @Test
    void elsewhereTheFirstUseNamesTheOsAndArchitectureFound() {
        var windows = assertThrows(UnsupportedOperationException.class,
                () -> Architecture.require("Windows 11", "amd64"));
        assertTrue(windows.getMessage().contains("not on Windows 11 on amd64"), windows.getMessage());
        var riscv = assertThrows(UnsupportedOperationException.class, () -> Architecture.require("Linux", "riscv64"));
        assertTrue(riscv.getMessage().contains("Linux on riscv64"), riscv.getMessage());
    }

    @Test
    void theSystemCallNumbersOpenFlagsAndEpollLayoutAreTheCHeaders(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path source = java.nio.file.Files.writeString(dir.resolve("numbers.c"), """
                #define _GNU_SOURCE
                #include <fcntl.h>
                #include <stdio.h>
                #include <stddef.h>
                #include <sys/syscall.h>
                #include <sys/epoll.h>
                int main(void) {
                    printf("%ld %ld %zu %zu\\n", (long) SYS_futex, (long) SYS_pidfd_open,
                           sizeof(struct epoll_event), offsetof(struct epoll_event, data));
                    printf("%d %d %d %d %d %d %d\\n", O_RDWR, O_PATH, O_CREAT, O_EXCL,
                           O_NOFOLLOW, O_CLOEXEC, O_TMPFILE);
                    return 0;
                }
                """);
        java.nio.file.Path binary = dir.resolve("numbers");
        Process cc;
        try {
            cc = new ProcessBuilder("cc", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException noCompiler) {
            org.junit.jupiter.api.Assumptions.abort("no C compiler here: " + noCompiler.getMessage());
            return;
        }
        String errors = new String(cc.getInputStream().readAllBytes());
        assertEquals(0, cc.waitFor(), errors);
        Process run = new ProcessBuilder(binary.toString()).start();
        String[] lines = new String(run.getInputStream().readAllBytes()).strip().split("\n");
        String[] numbers = lines[0].split(" ");
        assertEquals(0, run.waitFor());
        assertEquals(LinuxPlatform.SYS_FUTEX, Long.parseLong(numbers[0]), "SYS_futex");
        assertEquals(LinuxPlatform.SYS_PIDFD_OPEN, Long.parseLong(numbers[1]), "SYS_pidfd_open");
        assertEquals(LinuxProcessExits.EVENT_SIZE, Long.parseLong(numbers[2]), "sizeof(struct epoll_event)");
        assertEquals(LinuxProcessExits.EVENT_DATA, Long.parseLong(numbers[3]), "offsetof(struct epoll_event, data)");
        assertEquals(java.util.Arrays.stream(lines[1].split(" ")).map(Integer::parseInt).toList(),
                java.util.List.of(LinuxPlatform.O_RDWR, LinuxPlatform.O_PATH, LinuxPlatform.O_CREAT,
                        LinuxPlatform.O_EXCL, LinuxPlatform.O_NOFOLLOW,
                        LinuxPlatform.O_CLOEXEC, LinuxPlatform.O_TMPFILE),
                "O_RDWR, O_PATH, O_CREAT, O_EXCL, O_NOFOLLOW, O_CLOEXEC, O_TMPFILE");
    }
}

// The physical limit for waking another process: two processes take turns through one futex word in shared
// memory (FUTEX_WAIT while it is not their turn, FUTEX_WAKE after passing it on). Prints the round trip.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static void wait_turn(_Atomic uint32_t *word, uint32_t mine) {
    uint32_t seen;
    while ((seen = atomic_load(word)) != mine) {
        syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
    }
}

static void pass(_Atomic uint32_t *word, uint32_t theirs) {
    atomic_store(word, theirs);
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20000;
    _Atomic uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    atomic_store(word, 0);
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < rounds; i++) {
            wait_turn(word, 1);
            pass(word, 0);
        }
        _exit(0);
    }
    double best = 1e9;
    for (int trial = 0; trial < 1; trial++) {
        double t = now();
        for (int i = 0; i < rounds; i++) {
            pass(word, 1);
            wait_turn(word, 0);
        }
        double per = (now() - t) / rounds * 1e6;
        if (per < best) best = per;
    }
    waitpid(child, NULL, 0);
    printf("futex_pingpong_round_trip\t%.2f\tus\n", best);
    return 0;
}

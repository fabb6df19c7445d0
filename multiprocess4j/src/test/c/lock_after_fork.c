/*
 * For CProgramTest: takes and releases the lock a handle names with c/multiprocess4j.h, then forks a child that
 * takes it and ends holding it, and takes it again: the child, another process, must have held it as itself, so
 * that this process finds its holder dead. Prints "recovered", or what went wrong.
 */
#include "multiprocess4j.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    static struct mp4j_handle h, none;
    char error[512];
    uint64_t *owner = NULL;
    if (argc != 2 || mp4j_decode(argv[1], &h, &none, error, sizeof error) != 0
        || (owner = mp4j_attach_lock(&h, error, sizeof error)) == NULL) {
        puts(argc != 2 ? "usage: lock_after_fork HANDLE" : error);
        return 1;
    }
    if (mp4j_lock(owner) != 0) {
        puts("the lock had a dead holder before the fork");
        return 1;
    }
    mp4j_unlock(owner);
    pid_t child = fork();
    if (child == 0) {
        mp4j_lock(owner);
        uint64_t holder = (__atomic_load_n(owner, __ATOMIC_ACQUIRE) & ~MP4J_WAITERS) >> 32;
        _exit(holder == (uint64_t) getpid() ? 0 : 3);
    }
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        puts("the forked child did not hold the lock as itself");
        return 1;
    }
    int died = mp4j_lock(owner);
    mp4j_unlock(owner);
    puts(died ? "recovered" : "the child's death was not seen");
    return 0;
}

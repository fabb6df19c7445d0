/*
 * Attaches to a synchronized int value that a Java (or Python) process shares, prints it, adds one under its
 * lock, and prints it again: what a C, C++ or Rust program starts from.
 *
 *     cc -O2 -o attach_value c/attach_value.c && ./attach_value "$(java ... print the value's handle)"
 */
#include "multiprocess4j.h"

int main(int argc, char **argv) {
    static struct mp4j_handle value, lock; /* large: a handle's signature may be 48 KiB */
    char error[256];
    if (argc != 2) {
        fprintf(stderr, "usage: %s HANDLE (of a synchronized c_int value)\n", argv[0]);
        return 2;
    }
    if (mp4j_decode(argv[1], &value, &lock, error, sizeof error) != 0) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    if (strcmp(value.signature, "vi") != 0 || lock.pid == 0) {
        fprintf(stderr, "the handle must name a synchronized c_int value, not '%s'\n", value.signature);
        return 1;
    }
    int32_t *n = (int32_t *) mp4j_attach(&value, error, sizeof error);
    uint64_t *owner = n == NULL ? NULL : mp4j_attach_lock(&lock, error, sizeof error);
    if (owner == NULL) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    printf("read %d\n", *n);
    int died = mp4j_lock(owner);
    *n += 1;
    mp4j_unlock(owner);
    printf("wrote %d%s\n", *n, died ? " (the previous holder had died)" : "");
    return 0;
}

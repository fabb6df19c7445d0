/*
 * For CProgramTest: attaches each handle given (its lock part too) with c/multiprocess4j.h and prints, one line
 * each, "ok" or why it was refused.
 */
#include "multiprocess4j.h"

int main(int argc, char **argv) {
    static struct mp4j_handle h, lock;
    char error[512];
    for (int i = 1; i < argc; i++) {
        if (mp4j_decode(argv[i], &h, &lock, error, sizeof error) == 0
            && mp4j_attach(&h, error, sizeof error) != NULL
            && (lock.pid == 0 || mp4j_attach_lock(&lock, error, sizeof error) != NULL)) {
            puts("ok");
        } else {
            puts(error);
        }
    }
    return 0;
}

// The project's C header lock (c/multiprocess4j.h) beside glibc's robust process-shared mutex, each taken and
// released in a loop, uncontended, in one MAP_SHARED mapping, in one run of this program.
#include "multiprocess4j.h"
#include <pthread.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

struct shared { _Alignas(64) uint64_t owner[8]; _Alignas(64) pthread_mutex_t mu; };

int main(void) {
  long N = 20000000;
  struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (s == MAP_FAILED) { perror("mmap"); return 1; }
  pthread_mutexattr_t a; pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&s->mu, &a);
  double header = 0, mutex = 0;
  for (int round = 0; round < 2; round++) { // the first warms both up
    double t = now();
    for (long i = 0; i < N; i++) { mp4j_lock(s->owner); mp4j_unlock(s->owner); }
    header = (now() - t) / N * 1e9;
    t = now();
    for (long i = 0; i < N; i++) { pthread_mutex_lock(&s->mu); pthread_mutex_unlock(&s->mu); }
    mutex = (now() - t) / N * 1e9;
  }
  printf("c_header_lock_unlock_uncontended\t%.2f\tns\n", header);
  printf("robust_pshared_mutex_lock_unlock_uncontended\t%.2f\tns\n", mutex);
  return 0;
}

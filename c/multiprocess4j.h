/*
 * multiprocess4j.h: the shared-memory format of multiprocess4j (docs/FORMAT.md), for C and C++ programs that
 * attach to what a Java (or Python) process shares: decode a handle, map its arena, check the headers, and take
 * and release the robust locks exactly as the JVM does. Header-only; Linux on x86-64 or aarch64; C11 or C++.
 * Include it before any system header, or define _GNU_SOURCE before them.
 *
 *     static struct mp4j_handle h, lock;                                // large: a signature may be 48 KiB
 *     char error[256];
 *     if (mp4j_decode(argv[1], &h, &lock, error, sizeof error) != 0) { fputs(error, stderr); return 1; }
 *     int32_t *value = mp4j_attach(&h, error, sizeof error);            // the object's first byte
 *     uint64_t *owner = mp4j_attach_lock(&lock, error, sizeof error);   // the lock's owner word
 *     int died = mp4j_lock(owner);                                     // 1: the previous holder died holding it
 *     *value += 1;
 *     mp4j_unlock(owner);
 *
 * A handle is hostile input: decoding refuses any text the format's writers would not write, and attaching
 * checks the arena header, the block's tag and generation, the object's place in its block, its size against a
 * typecode's (a structure's layout is the caller's to check: its signature carries it), its alignment, and a
 * lock's or condition's kind word, before returning an address. The creating process owns the memory: attach
 * while it runs and the object is open there. Nothing here frees or unmaps what attached; a process that attaches
 * keeps its mappings until it exits (a refused attach unmaps what it mapped).
 */
#ifndef MULTIPROCESS4J_H
#define MULTIPROCESS4J_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef O_PATH
#define O_PATH 010000000 /* Linux's, the same on x86-64 and aarch64; <fcntl.h> shows it under _GNU_SOURCE only */
#endif
#if defined(__GLIBC__) && (!defined(__USE_XOPEN2K8) || !defined(__USE_MISC))
#error "multiprocess4j.h needs O_CLOEXEC and syscall(): include it before any system header, or compile with -D_GNU_SOURCE"
#endif

/* ---- the format (docs/FORMAT.md) -------------------------------------------------------------------------- */

#define MP4J_PREFIX "mp4j1"
#define MP4J_MAGIC 0x4D50344A41524E41ULL        /* "MP4JARNA" read big-endian, at offset 0 of every arena */
#define MP4J_VERSION 2
#define MP4J_HEADER_SIZE 64
#define MP4J_BLOCK_LIVE 0x4D50344AULL           /* "MP4J": the high half of a live block's tag */
#define MP4J_LOCK_SIZE 64
#define MP4J_LOCK_KIND_OFFSET 24                /* 1: ProcessLock, 2: ProcessRLock */
#define MP4J_CONDITION_SIZE 16
#define MP4J_CONDITION_KIND_OFFSET 8            /* 3 */
#define MP4J_WAITERS (1ULL << 63)
#ifdef MADV_WIPEONFORK
#define MP4J_MADV_WIPEONFORK MADV_WIPEONFORK
#else
#define MP4J_MADV_WIPEONFORK 18 /* Linux's value on every architecture, for C libraries older than the kernel */
#endif
#define MP4J_MAX_HANDLE 65536
#define MP4J_MAX_SIGNATURE (MP4J_MAX_HANDLE / 4 * 3 + 1)

/** The 64-byte header at the start of every arena. */
struct mp4j_arena_header {
    uint64_t magic;          /* written last, with release semantics */
    uint32_t version;
    uint32_t header_size;
    uint64_t creator_pid;
    uint64_t creator_start;  /* clock ticks, field 22 of /proc/<pid>/stat */
    uint64_t arena_id;
    uint64_t arena_size;
    uint8_t reserved[16];
};

/** The 16 bytes before every block. */
struct mp4j_block_header {
    uint64_t tag;            /* MP4J_BLOCK_LIVE << 32 | generation while allocated; 0 once freed */
    uint64_t size;
};

/** What a handle says (one object's part; a synchronized object's lock is a second one). */
struct mp4j_handle {
    uint64_t pid, start_time, fd, arena_id, arena_size, block, generation, view, bytes, count, stride;
    char signature[MP4J_MAX_SIGNATURE]; /* decoded; its first character is the kind: v a L R C */
};

/* ---- decoding --------------------------------------------------------------------------------------------- */

static inline int mp4j_fail_(char *error, size_t len, const char *rule, const char *text) {
    snprintf(error, len, "handle %s: handle='%.120s'", rule, text);
    return -1;
}

/* A number as the format writes it: digits (lower-case hex ones for hex), no sign, no leading zero. */
static inline int mp4j_number_(const char *s, size_t n, uint64_t *out, int hex) {
    uint64_t v = 0;
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0')) return -1;
    for (size_t i = 0; i < n; i++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9') d = c - '0';
        else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return -1;
        uint64_t next = v * (hex ? 16 : 10) + (uint64_t) d;
        if (next / (hex ? 16 : 10) != v) return -1; /* overflow */
        v = next;
    }
    if (!hex && v > INT64_MAX) return -1;
    *out = v;
    return 0;
}

/* Unpadded base64url with no stray bits, of text without a NUL: the one text a writer makes of it. */
static inline int mp4j_base64url_(const char *s, size_t n, char *out, size_t cap) {
    static const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    int bits = 0;
    size_t len = 0;
    if (n % 4 == 1) return -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *) memchr(alphabet, s[i], 64);
        if (p == NULL || s[i] == 0) return -1;
        acc = (acc << 6 | (uint32_t) (p - alphabet)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (len + 1 >= cap) return -1;
            out[len] = (char) (acc >> bits & 0xFF);
            if (out[len++] == 0) return -1;
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0) return -1;
    out[len] = 0;
    return len == 0 ? -1 : 0;
}

static inline int mp4j_decode_one_(const char *s, size_t n, struct mp4j_handle *h, const char *whole, char *error,
                                   size_t len) {
    const char *field[12];
    size_t size[12];
    size_t count = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ':') {
            if (count == 12) return mp4j_fail_(error, len, "must have 12 ':'-separated fields", whole);
            field[count] = s + start;
            size[count++] = i - start;
            start = i + 1;
        }
    }
    if (count != 12 || size[0] != 5 || memcmp(field[0], MP4J_PREFIX, 5) != 0)
        return mp4j_fail_(error, len, "must have 12 ':'-separated fields starting with " MP4J_PREFIX, whole);
    uint64_t *numbers[] = {&h->pid, &h->start_time, &h->fd, &h->arena_id, &h->arena_size, &h->block,
                           &h->generation, &h->view, &h->bytes};
    for (int i = 0; i < 9; i++) {
        if (mp4j_number_(field[i + 1], size[i + 1], numbers[i], i == 3) != 0)
            return mp4j_fail_(error, len, "has a field that is not a number in range", whole);
    }
    const char *slash = (const char *) memchr(field[10], '/', size[10]);
    size_t count_len = slash ? (size_t) (slash - field[10]) : size[10];
    h->stride = 0;
    if (mp4j_number_(field[10], count_len, &h->count, 0) != 0
        || (slash && (mp4j_number_(slash + 1, size[10] - count_len - 1, &h->stride, 0) != 0 || h->stride == 0)))
        return mp4j_fail_(error, len, "has a count or stride that is not a number in range", whole);
    if (h->generation > 0xFFFFFFFFULL || h->fd > INT32_MAX)
        return mp4j_fail_(error, len, "has a field that is not a number in range", whole);
    if (mp4j_base64url_(field[11], size[11], h->signature, sizeof h->signature) != 0
        || strchr("vaLRC", h->signature[0]) == NULL)
        return mp4j_fail_(error, len, "has a signature that is not the base64url of a kind this header attaches "
                                      "(v a L R C)", whole);
    return 0;
}

/**
 * Decodes a handle; fills lock (when not NULL) with its lock part, or zeroes it when there is none. A lock part
 * must name a lock, a condition's handle must have one, and a lock's none.
 */
static inline int mp4j_decode(const char *text, struct mp4j_handle *h, struct mp4j_handle *lock, char *error,
                              size_t len) {
    size_t n = strlen(text);
    if (n > MP4J_MAX_HANDLE) return mp4j_fail_(error, len, "is longer than 65536 characters", text);
    const char *plus = (const char *) memchr(text, '+', n);
    if (lock != NULL) memset(lock, 0, sizeof *lock);
    if (plus == NULL) {
        if (mp4j_decode_one_(text, n, h, text, error, len) != 0) return -1;
        return h->signature[0] == 'C' ? mp4j_fail_(error, len, "names a condition without its lock", text) : 0;
    }
    if (memchr(plus + 1, '+', n - (size_t) (plus - text) - 1) != NULL)
        return mp4j_fail_(error, len, "may name one lock, and a lock's handle names no lock of its own", text);
    if (mp4j_decode_one_(text, (size_t) (plus - text), h, text, error, len) != 0) return -1;
    if (h->signature[0] == 'L' || h->signature[0] == 'R')
        return mp4j_fail_(error, len, "names a lock with a lock of its own", text);
    struct mp4j_handle *part = lock != NULL ? lock : (struct mp4j_handle *) malloc(sizeof *part);
    if (part == NULL) return mp4j_fail_(error, len, "cannot be decoded: out of memory", text);
    int rc = mp4j_decode_one_(plus + 1, n - (size_t) (plus - text) - 1, part, text, error, len);
    if (rc == 0 && strcmp(part->signature, "L") != 0 && strcmp(part->signature, "R") != 0)
        rc = mp4j_fail_(error, len, "has a lock part that names no lock", text);
    if (lock == NULL) free(part);
    return rc;
}

/* ---- processes and arenas --------------------------------------------------------------------------------- */

/** The start time of a process (clock ticks), or 0 when it does not run or is a zombie. */
static inline uint64_t mp4j_start_time(uint64_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%llu/stat", (unsigned long long) pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ' || p[2] == 'Z') return 0;
    p += 2;
    for (int field = 3; field < 22 && p != NULL; field++) p = strchr(p + 1, ' ');
    return p == NULL ? 0 : strtoull(p + 1, NULL, 10);
}

/* The size of a typecode's C type (its alignment too), or 0 for a character that names none. */
static inline uint64_t mp4j_typecode_size_(char code) {
    switch (code) {
    case 'c': case 'b': case 'B': case '?': return 1;
    case 'h': case 'H': return 2;
    case 'i': case 'I': case 'f': case 'u': return 4;
    case 'l': case 'L': case 'q': case 'Q': case 'd': return 8;
    default: return 0;
    }
}

/*
 * Whether the type a signature names after its kind is a typecode with array dimensions ("i", "d[3][2]", "i[0]"):
 * then its size (0 with a dimension of 0) goes to *size and its alignment to *align. False for a structure (whose
 * layout its signature carries, for the caller to check) or a type that does not parse.
 */
static inline int mp4j_type_size_(const char *type, uint64_t *size, uint64_t *align) {
    *size = *align = mp4j_typecode_size_(type[0]);
    if (*size == 0) return 0;
    const char *p = type + 1;
    while (*p == '[') {
        const char *close = strchr(p, ']');
        uint64_t n;
        if (close == NULL || mp4j_number_(p + 1, (size_t) (close - p - 1), &n, 0) != 0 || n > INT32_MAX
            || __builtin_mul_overflow(*size, n, size) || *size > INT64_MAX) return 0;
        p = close + 1;
    }
    return *p == 0;
}

/* What a handle's numbers must say of its kind, before any memory is touched; NULL when they say it. */
static inline const char *mp4j_shape_problem_(const struct mp4j_handle *h) {
    char kind = h->signature[0];
    if (h->block % 8 != 0) return "names a block that is not at a multiple of 8";
    if (kind == 'L' || kind == 'R') {
        if (h->bytes != MP4J_LOCK_SIZE || h->view != 0 || h->count != 1 || h->stride != 0 || h->block % 64 != 0
            || h->signature[1] != 0)
            return "names a lock that is not 64 bytes at a multiple of 64, alone in its block";
        return NULL;
    }
    if (kind == 'C') {
        if (h->bytes != MP4J_CONDITION_SIZE || h->view != 0 || h->count != 1 || h->stride != 0 || h->signature[1] != 0)
            return "names a condition that is not 16 bytes, alone in its block";
        return NULL;
    }
    if (kind == 'v' && (h->count != 1 || h->stride != 0)) return "names a value whose count is not 1";
    if (kind == 'v' && h->signature[1] != '{' && strchr(h->signature, '[') != NULL)
        return "names a value of an array type, which only an array's handle does";
    uint64_t align, size, span;
    if (!mp4j_type_size_(h->signature + 1, &size, &align))
        return h->signature[1] == '{' ? NULL : "has a type signature that names no type";
    uint64_t stride = h->stride != 0 ? h->stride : size;
    if (h->stride != 0 && (kind != 'a' || h->count < 2 || stride <= size || stride % align != 0))
        return "has a stride that does not fit its elements";
    if (h->count == 0) span = 0;
    else if (__builtin_mul_overflow(h->count - 1, stride, &span) || __builtin_add_overflow(span, size, &span))
        return "names more bytes than exist";
    if (h->bytes != span) return "has a size that is not its count times its type's size";
    if ((h->block + h->view) % align != 0) return "names an object not aligned for its type";
    return NULL;
}

/**
 * Maps the arena a handle names, checks its header and the block's (and the object's shape, see the top of this
 * file), and returns the object's address (or NULL, with the reason in error).
 */
static inline void *mp4j_attach(const struct mp4j_handle *h, char *error, size_t len) {
    if (h->pid == 0) { snprintf(error, len, "no handle"); return NULL; }
    const char *shape = mp4j_shape_problem_(h);
    if (shape != NULL) { snprintf(error, len, "the handle %s", shape); return NULL; }
    if (mp4j_start_time(h->pid) != h->start_time) {
        snprintf(error, len, "the creator (pid %llu) no longer runs: it owns the memory",
                 (unsigned long long) h->pid);
        return NULL;
    }
    char path[64], own[64];
    snprintf(path, sizeof path, "/proc/%llu/fd/%llu", (unsigned long long) h->pid, (unsigned long long) h->fd);
    struct stat st;
    int fd = -1;
    /* The file is looked at through a descriptor that opens nothing (O_PATH: a device's or a FIFO's open never
       runs), then opened through that descriptor, which the creator cannot change, and looked at again. */
    int at = h->arena_size < MP4J_HEADER_SIZE ? -1 : open(path, O_PATH | O_CLOEXEC);
    snprintf(own, sizeof own, "/proc/self/fd/%d", at);
    if (at < 0 || fstat(at, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size != h->arena_size
        || (fd = open(own, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0 || fstat(fd, &st) != 0
        || !S_ISREG(st.st_mode) || (uint64_t) st.st_size != h->arena_size) {
        snprintf(error, len, "%s is not an arena of %llu bytes", path, (unsigned long long) h->arena_size);
        if (fd >= 0) close(fd);
        if (at >= 0) close(at);
        return NULL;
    }
    close(at);
    uint8_t *arena = (uint8_t *) mmap(NULL, h->arena_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (arena == MAP_FAILED) { snprintf(error, len, "cannot map %s: %s", path, strerror(errno)); return NULL; }
    const struct mp4j_arena_header *header = (const struct mp4j_arena_header *) (const void *) arena;
    const char *what = NULL;
    uint64_t found = 0, wanted = 0;
    if ((found = __atomic_load_n(&header->magic, __ATOMIC_ACQUIRE)) != (wanted = MP4J_MAGIC)) what = "magic";
    else if ((found = header->version) != (wanted = MP4J_VERSION)) what = "layout version";
    else if ((found = header->header_size) != (wanted = MP4J_HEADER_SIZE)) what = "header size";
    else if ((found = header->creator_pid) != (wanted = h->pid)) what = "creator pid";
    else if ((found = header->creator_start) != (wanted = h->start_time)) what = "creator start time";
    else if ((found = header->arena_id) != (wanted = h->arena_id)) what = "arena id";
    else if ((found = header->arena_size) != (wanted = h->arena_size)) what = "arena size";
    if (what != NULL) {
        snprintf(error, len, "the arena's header does not match the handle: %s %#llx, the handle's %#llx", what,
                 (unsigned long long) found, (unsigned long long) wanted);
        munmap(arena, h->arena_size);
        return NULL;
    }
    const struct mp4j_block_header *block = NULL;
    if (h->block < MP4J_HEADER_SIZE + 16 || h->block > h->arena_size) {
        snprintf(error, len, "the block lies outside its arena");
    } else if (block = (const struct mp4j_block_header *) (const void *) (arena + h->block - 16),
               __atomic_load_n(&block->tag, __ATOMIC_ACQUIRE) != (MP4J_BLOCK_LIVE << 32 | h->generation)) {
        snprintf(error, len, "the handle names freed memory");
    } else if (block->size > h->arena_size - h->block || h->view > block->size
               || h->bytes > block->size - h->view) {
        snprintf(error, len, "the object lies outside its block");
    } else {
        uint8_t *object = arena + h->block + h->view;
        char kind = h->signature[0];
        uint32_t word, want = kind == 'L' ? 1 : kind == 'R' ? 2 : 3;
        if (kind != 'L' && kind != 'R' && kind != 'C') return object;
        memcpy(&word, object + (kind == 'C' ? MP4J_CONDITION_KIND_OFFSET : MP4J_LOCK_KIND_OFFSET), sizeof word);
        if (word == want) return object;
        snprintf(error, len, "the block's kind word is %u, not %u (a %s)", word, want,
                 kind == 'C' ? "condition" : kind == 'L' ? "ProcessLock" : "ProcessRLock");
    }
    munmap(arena, h->arena_size);
    return NULL;
}

/** The owner word of the lock a handle (or a synchronized object's lock part) names, as mp4j_attach checks it. */
static inline uint64_t *mp4j_attach_lock(const struct mp4j_handle *h, char *error, size_t len) {
    if (h->signature[0] != 'L' && h->signature[0] != 'R') {
        snprintf(error, len, "the handle names no ProcessLock or ProcessRLock");
        return NULL;
    }
    return (uint64_t *) mp4j_attach(h, error, len);
}

/* ---- the robust lock (docs/FORMAT.md, "Locks") ------------------------------------------------------------ */

/*
 * This process's owner word, pid and start time: one word, read and written whole, whose pid half says whose it
 * is. Kept in a page of its own that a fork leaves zero in the child (MADV_WIPEONFORK, Linux 4.14), so that a lock
 * reads it without a system call and a forked child, another process, makes its own. Where the kernel has no such
 * pages, or may only say it has (it must first refuse advice it does not know: some emulators, qemu-user among
 * them, accept any and carry none out), the word is checked against getpid() on every call (a system call, ~100
 * ns, on every lock). A child made by clone() that shares this memory without being one of this process's threads
 * would take locks as this process: make children with fork() or posix_spawn().
 */
static inline uint64_t mp4j_self_(void) {
    static uint64_t *wiped;  /* the page, once made; MAP_FAILED where the kernel refused it */
    static uint64_t checked; /* the word as the getpid() check keeps it */
    uint64_t *page = __atomic_load_n(&wiped, __ATOMIC_ACQUIRE), w;
    if (page != NULL && (void *) page != MAP_FAILED && (w = __atomic_load_n(page, __ATOMIC_RELAXED)) != 0) return w;
    uint64_t pid = (uint64_t) getpid();
    w = __atomic_load_n(&checked, __ATOMIC_RELAXED);
    if (w == 0 || w >> 32 != pid) {
        w = pid << 32 | (mp4j_start_time(pid) & 0xFFFFFFFFULL);
        __atomic_store_n(&checked, w, __ATOMIC_RELAXED);
    }
    if (page == NULL) {
        int saved = errno; /* a lock leaves the caller's errno as it was */
        void *made = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (made != MAP_FAILED
            && (madvise(made, 4096, -1) == 0 || madvise(made, 4096, MP4J_MADV_WIPEONFORK) != 0)) {
            munmap(made, 4096);
            made = MAP_FAILED;
        }
        errno = saved;
        uint64_t *expected = NULL; /* of two threads making one, the first keeps its page */
        if (!__atomic_compare_exchange_n(&wiped, &expected, (uint64_t *) made, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE) && made != MAP_FAILED) {
            munmap(made, 4096);
        }
        page = __atomic_load_n(&wiped, __ATOMIC_ACQUIRE);
    }
    if ((void *) page != MAP_FAILED) __atomic_store_n(page, w, __ATOMIC_RELAXED);
    return w;
}

static inline int mp4j_owner_dead_(uint64_t owner) {
    uint64_t started = mp4j_start_time(owner >> 32);
    return started == 0 || (started & 0xFFFFFFFFULL) != (owner & 0xFFFFFFFFULL);
}

/**
 * Takes the lock whose owner word is at owner (what mp4j_attach returns for a lock's handle). Returns 1 when the
 * previous holder died holding it (the data it guards may be half-updated), else 0.
 */
static inline int mp4j_lock(uint64_t *owner) {
    uint64_t self = mp4j_self_(), expected = 0;
    if (__atomic_compare_exchange_n(owner, &expected, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return 0;
    uint32_t *futex = (uint32_t *) owner + 1; /* the high half: pid and WAITERS, little-endian */
    for (;;) {
        uint64_t w = __atomic_load_n(owner, __ATOMIC_ACQUIRE);
        if (w == 0) {
            expected = 0;
            if (__atomic_compare_exchange_n(owner, &expected, self | MP4J_WAITERS, 0, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) return 0;
            continue;
        }
        if ((w & ~MP4J_WAITERS) != self && mp4j_owner_dead_(w & ~MP4J_WAITERS)) {
            expected = w; /* the whole word: of two recoverers, or a recoverer and a late release, one wins */
            if (__atomic_compare_exchange_n(owner, &expected, self | MP4J_WAITERS, 0, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) return 1;
            continue;
        }
        if (!(w & MP4J_WAITERS)) {
            expected = w;
            __atomic_compare_exchange_n(owner, &expected, w | MP4J_WAITERS, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
            continue;
        }
        struct timespec slice = {0, 10 * 1000 * 1000}; /* look at the owner's liveness every 10 ms */
        syscall(SYS_futex, futex, FUTEX_WAIT, (uint32_t) (w >> 32), &slice, NULL, 0);
    }
}

/** Releases a lock this process holds. */
static inline void mp4j_unlock(uint64_t *owner) {
    uint64_t old = __atomic_exchange_n(owner, 0, __ATOMIC_RELEASE);
    if (old & MP4J_WAITERS) syscall(SYS_futex, (uint32_t *) owner + 1, FUTEX_WAKE, 1, NULL, NULL, 0);
}

#endif

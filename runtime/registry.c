/*
 * registry.c — __ctimer_register and function ids.  See registry.h.
 *
 * Every instrumented translation unit registers its module's whole descriptor section, so the same
 * range arrives once per translation unit: ranges are kept once.  The writer turns descriptors into
 * function ids; the same static inline function compiled into several translation units has several
 * descriptors with equal content, and gets one id.
 */
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "runtime.h"

/* ---------------------------------------------------------------- ranges */

static pthread_mutex_t ranges_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ctimer_range *ranges;
static struct ctimer_desc **snapshots; /* parallel to ranges: a copy of each, or NULL */
static size_t nranges, ranges_cap;

static int plausible(const struct ctimer_desc *d);

/*
 * A copy of a module's descriptors, strings included, taken while the module is certainly mapped
 * (__ctimer_register runs in its constructor).  The writer reads only this copy, so a module
 * unloaded with dlclose before the writer gets to its range cannot make it fault.  Records that are
 * not descriptors of this ABI keep their bytes but lose their pointers.  NULL if out of memory
 * (the writer then names those functions from the events).
 */
static struct ctimer_desc *snapshot(const struct ctimer_desc *start, const struct ctimer_desc *stop)
{
    size_t n = (size_t)(stop - start);
    struct ctimer_desc *copy = malloc(n * sizeof *copy);
    if (!copy)
        return NULL;
    memcpy(copy, start, n * sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        struct ctimer_desc *d = &copy[i];
        if (!plausible(d)) {
            d->name = d->strct = d->file = d->caller = NULL;
            continue;
        }
        const char **str[] = {&d->name, &d->strct, &d->file, &d->caller};
        for (size_t k = 0; k < sizeof str / sizeof str[0]; k++)
            if (*str[k] && !(*str[k] = strdup(*str[k])))
                *str[k] = "?"; /* out of memory: a wrong name beats a lost function */
    }
    return copy;
}

void __ctimer_register(struct ctimer_desc *start, struct ctimer_desc *stop)
{
    if (!start || !stop || stop <= start)
        return;
    int whole = (uintptr_t)start % 8 == 0 && ((uintptr_t)stop - (uintptr_t)start) % sizeof *start == 0;
    pthread_mutex_lock(&ranges_mu);
    int known = 0;
    for (size_t i = 0; i < nranges; i++)
        known |= ranges[i].start == start && ranges[i].stop == stop;
    if (!known && nranges == ranges_cap) {
        size_t cap = ranges_cap ? ranges_cap * 2 : 16;
        struct ctimer_range *r = realloc(ranges, cap * sizeof *r);
        if (r)
            ranges = r;
        struct ctimer_desc **sn = realloc(snapshots, cap * sizeof *sn);
        if (sn)
            snapshots = sn;
        if (r && sn)
            ranges_cap = cap;
    }
    if (!known && nranges < ranges_cap) {
        snapshots[nranges] = whole ? snapshot(start, stop) : NULL;
        ranges[nranges++] = (struct ctimer_range){start, stop};
    }
    pthread_mutex_unlock(&ranges_mu);
    /* A module loaded while running (dlopen): the writer picks the range up on its next round. */
}

/* The copy of a registered range, or NULL. */
static const struct ctimer_desc *snapshot_of(const struct ctimer_desc *start, const struct ctimer_desc *stop)
{
    const struct ctimer_desc *copy = NULL;
    pthread_mutex_lock(&ranges_mu);
    for (size_t i = 0; i < nranges && !copy; i++)
        if (ranges[i].start == start && ranges[i].stop == stop)
            copy = snapshots[i];
    pthread_mutex_unlock(&ranges_mu);
    return copy;
}

size_t ctimer_registry_ranges(size_t from, struct ctimer_range *out, size_t max)
{
    size_t k = 0;
    pthread_mutex_lock(&ranges_mu);
    for (size_t i = from; i < nranges && k < max; i++)
        out[k++] = ranges[i];
    pthread_mutex_unlock(&ranges_mu);
    return k;
}

void ctimer_registry_lock(void) { pthread_mutex_lock(&ranges_mu); }
void ctimer_registry_unlock(void) { pthread_mutex_unlock(&ranges_mu); }
void ctimer_registry_reset_lock(void) { pthread_mutex_init(&ranges_mu, NULL); }

/* ---------------------------------------------------------------- function table */

/* Open-addressing map from a 64-bit key (a pointer, or a content hash) to a function id. */
struct map {
    uint64_t *keys;
    uint32_t *vals; /* 0 = empty slot */
    size_t mask, used;
};

struct ctimer_funcs {
    struct map by_ptr;     /* descriptor address -> id */
    struct map by_content; /* content hash -> first id with that hash (chained through `same`) */
    struct ctimer_func *funcs; /* funcs[id - 1] */
    uint32_t *same;            /* same[id - 1]: next id with an equal content hash, or 0 */
    uint32_t n, cap;
    uint32_t unknown_id;       /* the "?" function for unreadable descriptors */
};

static uint64_t mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

static int map_init(struct map *m, size_t cap)
{
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = calloc(cap, sizeof *m->vals);
    m->mask = cap - 1;
    m->used = 0;
    return (m->keys && m->vals) ? 0 : -1;
}

static uint32_t map_get(const struct map *m, uint64_t key)
{
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->vals[i])
            return 0;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static int map_put(struct map *m, uint64_t key, uint32_t val);

static int map_grow(struct map *m)
{
    struct map bigger;
    if (map_init(&bigger, (m->mask + 1) * 2) != 0) {
        free(bigger.keys);
        free(bigger.vals);
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++)
        if (m->vals[i])
            map_put(&bigger, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    *m = bigger;
    return 0;
}

/* Inserts or overwrites. */
static int map_put(struct map *m, uint64_t key, uint32_t val)
{
    if ((m->used + 1) * 2 > m->mask + 1 && map_grow(m) != 0)
        return -1;
    for (size_t i = mix64(key) & m->mask;; i = (i + 1) & m->mask) {
        if (!m->vals[i]) {
            m->keys[i] = key;
            m->vals[i] = val;
            m->used++;
            return 0;
        }
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
    }
}

struct ctimer_funcs *ctimer_funcs_new(void)
{
    struct ctimer_funcs *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    if (map_init(&f->by_ptr, 1024) || map_init(&f->by_content, 1024)) {
        ctimer_funcs_free(f);
        return NULL;
    }
    return f;
}

void ctimer_funcs_free(struct ctimer_funcs *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->n; i++) {
        free(f->funcs[i].strct);
        free(f->funcs[i].name);
        free(f->funcs[i].file);
        free(f->funcs[i].caller);
    }
    free(f->funcs);
    free(f->same);
    free(f->by_ptr.keys);
    free(f->by_ptr.vals);
    free(f->by_content.keys);
    free(f->by_content.vals);
    free(f);
}

uint32_t ctimer_funcs_count(const struct ctimer_funcs *f) { return f->n; }

const struct ctimer_func *ctimer_funcs_get(const struct ctimer_funcs *f, uint32_t id)
{
    return (id >= 1 && id <= f->n) ? &f->funcs[id - 1] : NULL;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    /* FNV-1a; NULL and "" hash differently so that an anonymous struct is not a function. */
    if (!s)
        return (h ^ 0xff) * UINT64_C(0x100000001b3);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
    return (h ^ 0xfe) * UINT64_C(0x100000001b3);
}

static int same_str(const char *a, const char *b)
{
    return (!a || !b) ? a == b : strcmp(a, b) == 0;
}

/* The content of one descriptor, with strings owned by the caller. */
struct content {
    uint16_t kind;
    uint32_t line;
    char *strct, *name, *file, *caller;
};

static void content_free(struct content *c)
{
    free(c->strct);
    free(c->name);
    free(c->file);
    free(c->caller);
}

static uint64_t content_hash(const struct content *c)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    h = (h ^ c->kind) * UINT64_C(0x100000001b3);
    h = (h ^ c->line) * UINT64_C(0x100000001b3);
    h = hash_str(h, c->strct);
    h = hash_str(h, c->name);
    h = hash_str(h, c->file);
    return hash_str(h, c->caller);
}

/* Fallback for checked_read: write(2) from an unmapped address fails with EFAULT instead of
 * faulting, so a pipe to ourselves is a checked memcpy (n <= 4096 fits in a pipe's buffer). */
static int pipe_read(void *dst, const void *src, size_t n)
{
    static int fds[2] = {-1, -1}; /* the function table is writer-owned: no concurrent use */
    if (fds[0] < 0 && pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        fds[0] = fds[1] = -1;
        return -1;
    }
    ssize_t k = write(fds[1], src, n);
    if (k <= 0)
        return -1;
    ssize_t r = read(fds[0], dst, (size_t)k);
    return (k == (ssize_t)n && r == k) ? 0 : -1;
}

/*
 * Reads memory that may not be mapped (a descriptor address taken from the event stream) without
 * faulting: process_vm_readv on ourselves, or where that system call is refused (seccomp), a pipe.
 */
static int checked_read(void *dst, const void *src, size_t n)
{
    struct iovec local = {dst, n}, remote = {(void *)src, n};
    ssize_t k = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (k == (ssize_t)n)
        return 0;
    if (k < 0 && (errno == ENOSYS || errno == EPERM))
        return pipe_read(dst, src, n);
    return -1;
}

/* A checked strdup: reads page by page up to the terminator (longer strings are cut at 4095 bytes). */
static int checked_strdup(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    char buf[4096];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        size_t to_page = 4096 - ((uintptr_t)(s + len) & 4095);
        size_t want = to_page < sizeof buf - 1 - len ? to_page : sizeof buf - 1 - len;
        if (checked_read(buf + len, s + len, want) != 0)
            return -1;
        if (memchr(buf + len, 0, want))
            break;
        len += want;
    }
    buf[sizeof buf - 1] = 0;
    *out = strdup(buf);
    return *out ? 0 : -1;
}

/* Reads a descriptor's content; strings with checked reads.  Returns 0, or -1 if unreadable. */
static int read_content(const struct ctimer_desc *d, int mapped, struct content *c)
{
    memset(c, 0, sizeof *c);
    struct ctimer_desc copy;
    if (mapped)
        copy = *d;
    else if (checked_read(&copy, d, sizeof copy) != 0)
        return -1;
    c->kind = copy.kind == CTIMER_KIND_METHOD ? CTIMER_KIND_METHOD : CTIMER_KIND_FUNCTION;
    c->line = copy.line;
    int r = checked_strdup(copy.strct, &c->strct) | checked_strdup(copy.name ? copy.name : "?", &c->name) |
            checked_strdup(copy.file, &c->file) | checked_strdup(copy.caller, &c->caller);
    if (r != 0) {
        content_free(c);
        return -1;
    }
    return 0;
}

/* Adds a function with this content (taking its strings) or finds the one that has it. */
static uint32_t intern(struct ctimer_funcs *f, struct content *c)
{
    uint64_t h = content_hash(c);
    for (uint32_t id = map_get(&f->by_content, h); id; id = f->same[id - 1]) {
        const struct ctimer_func *g = &f->funcs[id - 1];
        if (g->kind == c->kind && g->line == c->line && same_str(g->strct, c->strct) &&
            same_str(g->name, c->name) && same_str(g->file, c->file) && same_str(g->caller, c->caller)) {
            content_free(c);
            return id;
        }
    }
    if (f->n == f->cap) {
        uint32_t cap = f->cap ? f->cap * 2 : 256;
        struct ctimer_func *nf = realloc(f->funcs, cap * sizeof *nf);
        if (!nf)
            goto oom;
        f->funcs = nf;
        uint32_t *ns = realloc(f->same, cap * sizeof *ns);
        if (!ns)
            goto oom;
        f->same = ns;
        f->cap = cap;
    }
    uint32_t id = f->n + 1;
    f->funcs[id - 1] = (struct ctimer_func){id, c->kind, c->line, c->strct, c->name, c->file, c->caller, h};
    f->same[id - 1] = map_get(&f->by_content, h); /* chain equal hashes (different content) */
    if (map_put(&f->by_content, h, id) != 0)
        goto oom;
    f->n++;
    return id;
oom:
    content_free(c);
    return 0;
}

static uint32_t unknown_function(struct ctimer_funcs *f)
{
    if (!f->unknown_id) {
        struct content c = {CTIMER_KIND_FUNCTION, 0, NULL, strdup("?"), NULL, NULL};
        if (!c.name)
            return 0;
        f->unknown_id = intern(f, &c);
    }
    return f->unknown_id;
}

/* The id of the descriptor at address KEY, whose content is read from SRC (directly when MAPPED). */
static uint32_t resolve_at(struct ctimer_funcs *f, const struct ctimer_desc *key_ptr,
                           const struct ctimer_desc *src, int mapped)
{
    uint64_t key = (uint64_t)(uintptr_t)key_ptr;
    uint32_t id = map_get(&f->by_ptr, key);
    if (id)
        return id;
    struct content c;
    int r = ((uintptr_t)src & 7) ? -1 : read_content(src, mapped, &c);
    id = r == 0 ? intern(f, &c) : unknown_function(f);
    if (!id || map_put(&f->by_ptr, key, id) != 0)
        return 0;
    return id;
}

/* The runtime never writes into a descriptor: its module may be unloaded at any time. */
uint32_t ctimer_funcs_resolve(struct ctimer_funcs *f, struct ctimer_desc *d, int trusted)
{
    return resolve_at(f, d, d, trusted);
}

/* A record that is really a descriptor of this ABI (not padding, not a foreign layout). */
static int plausible(const struct ctimer_desc *d)
{
    return d->abi == CTIMER_ABI_VERSION && d->reserved == 0 && d->kind <= CTIMER_KIND_METHOD && d->name;
}

static int all_zero(const struct ctimer_desc *d)
{
    const unsigned char *p = (const unsigned char *)d;
    for (size_t i = 0; i < sizeof *d; i++)
        if (p[i])
            return 0;
    return 1;
}

long ctimer_funcs_add_range(struct ctimer_funcs *f, struct ctimer_desc *start, struct ctimer_desc *stop)
{
    uintptr_t bytes = (uintptr_t)stop - (uintptr_t)start;
    if ((uintptr_t)start % 8 || bytes % sizeof(struct ctimer_desc))
        return -1; /* not an array of descriptors: holes, or another layout */
    /* Read the copy taken at registration when there is one: the module may be gone by now. */
    const struct ctimer_desc *copy = snapshot_of(start, stop);
    long foreign = 0;
    for (size_t i = 0; start + i < stop; i++) {
        const struct ctimer_desc *d = copy ? &copy[i] : &start[i];
        if (plausible(d))
            resolve_at(f, &start[i], d, 1);
        else if (!all_zero(d))
            foreign++;
    }
    return foreign;
}

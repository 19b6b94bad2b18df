/*
 * funcs.c — recorder side: the function table.  See funcs.h.
 */
#include "funcs.h"

#include "desc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>


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
    pid_t pid;                 /* where unknown descriptors are read from */
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

struct ctimer_funcs *ctimer_funcs_new(pid_t pid)
{
    struct ctimer_funcs *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->pid = pid;
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

/*
 * Reads memory of the source process that may not be mapped (a descriptor address taken from the
 * event stream) without faulting: process_vm_readv.  Where that is refused (seccomp, a ptrace
 * policy), the read fails and the descriptor is named "?".
 */
static int checked_read(const struct ctimer_funcs *f, void *dst, uint64_t src, size_t n)
{
    struct iovec local = {dst, n}, remote = {(void *)(uintptr_t)src, n};
    ssize_t k = process_vm_readv(f->pid, &local, 1, &remote, 1, 0);
    return k == (ssize_t)n ? 0 : -1;
}

/* A checked strdup: reads page by page up to the terminator (longer strings are cut at 4095 bytes). */
static int checked_strdup(const struct ctimer_funcs *f, uint64_t s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    char buf[4096];
    size_t len = 0;
    while (len < sizeof buf - 1) {
        size_t to_page = 4096 - ((s + len) & 4095);
        size_t want = to_page < sizeof buf - 1 - len ? to_page : sizeof buf - 1 - len;
        if (checked_read(f, buf + len, s + len, want) != 0)
            return -1;
        if (memchr(buf + len, 0, want))
            break;
        len += want;
    }
    buf[sizeof buf - 1] = 0;
    *out = strdup(buf);
    return *out ? 0 : -1;
}

/* Reads a descriptor's content from the source process.  Returns 0, or -1 if unreadable or not a
 * descriptor of this ABI. */
static int read_content(const struct ctimer_funcs *f, uint64_t addr, struct content *c)
{
    memset(c, 0, sizeof *c);
    struct ctimer_desc copy;
    if ((addr & 7) || checked_read(f, &copy, addr, sizeof copy) != 0 || !ctimer_desc_plausible(&copy))
        return -1;
    c->kind = copy.kind <= CTIMER_KIND_CALL ? copy.kind : CTIMER_KIND_FUNCTION;
    c->line = copy.line;
    int r = checked_strdup(f, (uintptr_t)copy.strct, &c->strct) | checked_strdup(f, (uintptr_t)copy.name, &c->name) |
            checked_strdup(f, (uintptr_t)copy.file, &c->file) | checked_strdup(f, (uintptr_t)copy.caller, &c->caller);
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

static int dup_or_null(const char *s, char **out)
{
    *out = s ? strdup(s) : NULL;
    return s && !*out ? -1 : 0;
}

uint32_t ctimer_funcs_add(struct ctimer_funcs *f, uint64_t addr, uint16_t kind, uint32_t line, const char *name,
                          const char *strct, const char *file, const char *caller)
{
    struct content c = {kind <= CTIMER_KIND_CALL ? kind : CTIMER_KIND_FUNCTION, line, NULL, NULL,
                        NULL, NULL};
    if (dup_or_null(strct, &c.strct) | dup_or_null(name ? name : "?", &c.name) | dup_or_null(file, &c.file) |
        dup_or_null(caller, &c.caller)) {
        content_free(&c);
        return 0;
    }
    uint32_t id = intern(f, &c);
    if (!id || map_put(&f->by_ptr, addr, id) != 0)
        return 0;
    return id;
}

uint32_t ctimer_funcs_lookup(const struct ctimer_funcs *f, uint64_t addr) { return map_get(&f->by_ptr, addr); }

uint32_t ctimer_funcs_resolve(struct ctimer_funcs *f, uint64_t addr)
{
    uint32_t id = map_get(&f->by_ptr, addr);
    if (id)
        return id;
    struct content c;
    id = read_content(f, addr, &c) == 0 ? intern(f, &c) : unknown_function(f);
    if (!id || map_put(&f->by_ptr, addr, id) != 0)
        return 0;
    return id;
}

uint16_t ctimer_funcs_kind(const struct ctimer_funcs *f, uint32_t id)
{
    return (id >= 1 && id <= f->n) ? f->funcs[id - 1].kind : CTIMER_KIND_FUNCTION;
}

long ctimer_funcs_add_range(struct ctimer_funcs *f, uint64_t start, uint64_t stop)
{
    if (start % 8 || stop < start || (stop - start) % sizeof(struct ctimer_desc))
        return -1; /* not an array of descriptors: holes, or another layout */
    long foreign = 0;
    for (uint64_t a = start; a < stop; a += sizeof(struct ctimer_desc)) {
        struct ctimer_desc d;
        if (checked_read(f, &d, a, sizeof d) != 0)
            continue;
        if (ctimer_desc_plausible(&d))
            ctimer_funcs_resolve(f, a);
        else if (!ctimer_desc_is_zero(&d))
            foreign++;
    }
    return foreign;
}

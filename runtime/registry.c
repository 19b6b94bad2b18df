/*
 * registry.c — program side: __ctimer_register and the descriptor log.  See registry.h.
 *
 * Every instrumented translation unit registers its module's whole descriptor section, so the same
 * range arrives once per translation unit: ranges are kept once.  Each range is copied (strings
 * included) when it registers, while its module is certainly mapped: a module unloaded with dlclose
 * before the run starts still gets its functions named.  Once the run has a shared log, each range
 * is written there as one record per descriptor, and the recorder reads only that.
 */
#include "registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "log.h"

static pthread_mutex_t ranges_mu = PTHREAD_MUTEX_INITIALIZER; /* guards everything below */
static struct range {
    const struct ctimer_desc *start, *stop;
    struct ctimer_desc *copy; /* the copy taken at registration, or NULL (not an array / no memory) */
} *ranges;
static size_t nranges, ranges_cap;
static size_t published;                  /* ranges [0, published) are in the log */
static struct ctimer_shm_header *log_hdr; /* the run's shared header, or NULL before the run */
static int log_full_reported;             /* the "log is full" line is printed once per run */
static char *recorder_hint;               /* a copy of __ctimer_recorder_hint's first path */
static uint32_t next_count_id = 1;        /* the next descriptor id to hand out (0: never counted) */
static uint32_t count_limit = CTIMER_COUNT_MAX; /* ids stay below it: the run's count_cap once laid out */

/* Gives each descriptor of a newly registered range its id, the index of its count word in every
 * thread's counts (ctimer.h): written now, while its module is certainly mapped.  Descriptors past
 * the limit keep 0 and are always timed. */
static void assign_ids(struct ctimer_desc *start, struct ctimer_desc *stop)
{
    for (struct ctimer_desc *d = start; d < stop; d++)
        if (ctimer_desc_plausible(d) && d->id == 0 && next_count_id < count_limit)
            d->id = next_count_id++;
}

/* A copy of a module's descriptors with their strings; records that are not descriptors of this ABI
 * keep their bytes but lose their pointers.  NULL if out of memory. */
static struct ctimer_desc *snapshot(const struct ctimer_desc *start, const struct ctimer_desc *stop)
{
    size_t n = (size_t)(stop - start);
    struct ctimer_desc *copy = malloc(n * sizeof *copy);
    if (!copy)
        return NULL;
    memcpy(copy, start, n * sizeof *copy);
    for (size_t i = 0; i < n; i++) {
        struct ctimer_desc *d = &copy[i];
        if (!ctimer_desc_plausible(d)) {
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

/* Appends one descriptor's record; 0, or -1 when the log is full. */
static int log_append(struct ctimer_shm_header *h, const struct ctimer_desc *key, const struct ctimer_desc *d)
{
    const char *s[4] = {d->name, d->strct, d->file, d->caller};
    struct ctimer_shm_logrec r = {0, d->kind, (uint16_t)d->flags, (uint64_t)(uintptr_t)key, d->line, {0, 0, 0, 0},
                                  d->id < count_limit ? d->id : 0};
    size_t len = sizeof r;
    for (int k = 0; k < 4; k++) {
        size_t n = s[k] ? strnlen(s[k], 4095) : 0;
        r.slen[k] = s[k] ? (uint16_t)n : CTIMER_LOG_NULL;
        len += n;
    }
    len = (len + 7) & ~(size_t)7;
    uint64_t used = atomic_load_explicit(&h->log_used, memory_order_relaxed);
    if (used + len > h->log_bytes)
        return -1;
    char *p = ctimer_shm_log(h) + used;
    r.len = (uint32_t)len;
    memcpy(p, &r, sizeof r);
    char *q = p + sizeof r;
    for (int k = 0; k < 4; k++)
        if (s[k] && r.slen[k]) {
            memcpy(q, s[k], r.slen[k]);
            q += r.slen[k];
        }
    atomic_store_explicit(&h->log_used, used + len, memory_order_release);
    return 0;
}

/* Writes ranges [published, nranges) to the log.  Called with ranges_mu held. */
static void publish_locked(void)
{
    for (; log_hdr && published < nranges; published++) {
        const struct range *r = &ranges[published];
        size_t bytes = (size_t)((uintptr_t)r->stop - (uintptr_t)r->start);
        if ((uintptr_t)r->start % 8 || bytes % sizeof(struct ctimer_desc)) {
            ctimer_log("ctimer: a %s section of %zu bytes is not an array of %zu-byte descriptors; its functions "
                       "are listed only once called",
                       CTIMER_DESC_SECTION, bytes, sizeof(struct ctimer_desc));
            continue;
        }
        if (!r->copy)
            continue; /* out of memory at registration: named when first called */
        long foreign = 0;
        for (size_t i = 0; r->start + i < r->stop; i++) {
            const struct ctimer_desc *d = &r->copy[i];
            if (!ctimer_desc_plausible(d)) {
                foreign += !ctimer_desc_is_zero(&r->copy[i]); /* the copy: the module may be gone */
                continue;
            }
            if (log_append(log_hdr, &r->start[i], d) != 0 && !log_full_reported) {
                log_full_reported = 1;
                ctimer_log("ctimer: the descriptor log is full (%llu bytes); later functions are named when "
                           "first called",
                           (unsigned long long)log_hdr->log_bytes);
            }
        }
        if (foreign > 0)
            ctimer_log("ctimer: %ld records in a %s section are not ABI %d descriptors (another plugin version?); "
                       "skipped",
                       foreign, CTIMER_DESC_SECTION, CTIMER_ABI_VERSION);
    }
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
        struct range *r = realloc(ranges, cap * sizeof *r);
        if (r) {
            ranges = r;
            ranges_cap = cap;
        }
    }
    if (!known && nranges < ranges_cap) {
        if (whole)
            assign_ids(start, stop);
        ranges[nranges++] = (struct range){start, stop, whole ? snapshot(start, stop) : NULL};
        publish_locked(); /* a module loaded while recording (dlopen): named right away */
    }
    pthread_mutex_unlock(&ranges_mu);
}

void __ctimer_recorder_hint(const char *path)
{
    pthread_mutex_lock(&ranges_mu);
    if (!recorder_hint && path && *path)
        recorder_hint = strdup(path); /* copied: its module may be unloaded */
    pthread_mutex_unlock(&ranges_mu);
}

const char *ctimer_registry_recorder_hint(void)
{
    pthread_mutex_lock(&ranges_mu);
    const char *p = recorder_hint;
    pthread_mutex_unlock(&ranges_mu);
    return p;
}

void ctimer_registry_publish(struct ctimer_shm_header *h)
{
    pthread_mutex_lock(&ranges_mu);
    log_hdr = h;
    log_full_reported = 0;
    publish_locked();
    pthread_mutex_unlock(&ranges_mu);
}

void ctimer_registry_detach(void)
{
    pthread_mutex_lock(&ranges_mu);
    log_hdr = NULL;
    published = 0;
    pthread_mutex_unlock(&ranges_mu);
}

void ctimer_registry_lock(void) { pthread_mutex_lock(&ranges_mu); }
void ctimer_registry_unlock(void) { pthread_mutex_unlock(&ranges_mu); }

uint32_t ctimer_registry_ids_used_locked(void) { return next_count_id; }

void ctimer_registry_limit_ids_locked(uint32_t cap) { count_limit = cap; }

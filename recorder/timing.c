/*
 * timing.c — recorder side: which functions are timed and which are counted (CTIMER_TIMING), and
 * reading the counts back.  See timing.h and docs/runtime-design.md, "Counted calls".
 *
 * The rule runs here, off the program's threads: the writer hands over every completed timed
 * call.  A function switched to counted gets CTIMER_COUNT_ON in the shared bitmap first, then in
 * the count word of every ACTIVE slot (a thread being set up copies the bitmap after it is ACTIVE:
 * shm.h); back to timed, the bit is cleared the same way.  The recorder writes only that bit; the
 * program's inline test adds to the low bits.  Every write is an atomic or / and.
 */
#include "timing.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

enum fmode {
    TIMED = 0,   /* every call goes through __ctimer_enter */
    COUNTED = 1, /* counted, one call in CTIMER_SAMPLE timed; back to timed if those grow long */
    PINNED = 2   /* counted for good: count= (never sampled) or CTIMER_TIMING=counted (sampled) */
};

/* Descriptors of one function (its body and GCC's clones of it, .part, .constprop, .isra: one
 * function id by name, file and line) whose words follow its mode.  A further one stays timed:
 * its calls are exact all the same. */
#define MAX_CIDS 8

struct fstate {
    uint32_t cids[MAX_CIDS]; /* its count words: one per descriptor (a function and its clones) */
    uint8_t ncids;  /* 0: no word, always timed */
    uint8_t mode;   /* enum fmode */
    uint8_t listed; /* in t->ever: its words are read */
    uint8_t nosample;
    uint64_t n;     /* timed calls since it was last made timed */
    uint64_t nlong; /* those of them over OUTLIER_FACTOR times the bound */
    uint64_t sum;   /* the total ns of the others */
    double ema;     /* counted: moving mean of its timed (sampled) calls, ns */
};

struct ctimer_adapt {
    struct ctimer_shm_header *h;
    const struct ctimer_layout *L;
    int timing;                  /* enum ctimer_timing */
    uint64_t adapt_calls, adapt_ns;
    struct fstate *f;            /* by function id */
    size_t nf;
    uint32_t *ever;              /* function ids that were ever counted: the words worth reading */
    size_t never, ever_cap;
    uint64_t switches;           /* mode changes, for the closing line and tests */
};

/* Sampled calls this many times the rule's bound, on average (moving mean, weight 1/8, of calls
 * clamped to CLAMP_FACTOR times the bound), send a counted function back to timed: three long
 * calls in a row after 100 ns ones do it, one preempted call or noise around the bound does not.
 * (The program's side does it sooner on its own thread: two long samples in a row, counts.c.) */
#define BACK_FACTOR 4.0
/* A timed call this many times the bound is left out of the mean, as long as such calls are at most
 * 1 % of them: on a loaded machine one preempted call of 10 ms in 10 000 adds 1 us to the mean of
 * a 100 ns function, and the rule must not depend on how busy the machine is. */
#define OUTLIER_FACTOR 100
#define EMA_WEIGHT 0.125
#define CLAMP_FACTOR 16.0

struct ctimer_adapt *ctimer_timing_new(struct ctimer_shm_header *h, const struct ctimer_layout *L)
{
    struct ctimer_adapt *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->h = h;
    t->L = L;
    t->timing = h->timing >= CTIMER_TIMING_ADAPTIVE && h->timing <= CTIMER_TIMING_COUNTED ? h->timing
                                                                                          : CTIMER_TIMING_ADAPTIVE;
    t->adapt_calls = h->adapt_calls > 0 ? (uint64_t)h->adapt_calls : CTIMER_DEFAULT_ADAPT_CALLS;
    t->adapt_ns = h->adapt_ns > 0 ? (uint64_t)h->adapt_ns : CTIMER_DEFAULT_ADAPT_NS;
    return t;
}

void ctimer_timing_free(struct ctimer_adapt *t)
{
    if (!t)
        return;
    free(t->f);
    free(t->ever);
    free(t);
}

uint64_t ctimer_timing_switches(const struct ctimer_adapt *t) { return t ? t->switches : 0; }

static struct fstate *state(struct ctimer_adapt *t, uint32_t fid)
{
    if (fid >= t->nf) {
        size_t n = t->nf ? t->nf : 256;
        while (n <= fid)
            n *= 2;
        struct fstate *f = realloc(t->f, n * sizeof *f);
        if (!f)
            return NULL;
        memset(f + t->nf, 0, (n - t->nf) * sizeof *f);
        t->f = f;
        t->nf = n;
    }
    return &t->f[fid];
}

/* Sets (on) or clears the counted bits of word cid in the bitmap, then in every ACTIVE slot. */
static void apply(struct ctimer_adapt *t, uint32_t cid, int on, int nosample)
{
    struct ctimer_shm_header *h = t->h;
    uint64_t bit = UINT64_C(1) << (cid % 64);
    if (on) {
        if (nosample)
            atomic_fetch_or(&h->count_nosample[cid / 64], bit);
        atomic_fetch_or(&h->count_on[cid / 64], bit); /* seq_cst: before the slots' states are read */
    } else {
        atomic_fetch_and(&h->count_on[cid / 64], ~bit);
    }
    uint64_t bits = CTIMER_COUNT_ON | (nosample ? CTIMER_COUNT_NOSAMPLE : 0);
    uint32_t n = atomic_load(&h->slot_next);
    if (n > t->L->n_slots)
        n = t->L->n_slots;
    for (uint32_t i = 0; i < n; i++) {
        struct ctimer_shm_thread *s = ctimer_shm_slot(h, i);
        if (atomic_load(&s->state) != CTIMER_SLOT_ACTIVE)
            continue;
        _Atomic uint64_t *w = &ctimer_shm_counts(h, i)[cid];
        if (on)
            atomic_fetch_or_explicit(w, bits, memory_order_relaxed);
        else
            atomic_fetch_and_explicit(w, ~(CTIMER_COUNT_ON | CTIMER_COUNT_NOSAMPLE), memory_order_relaxed);
    }
}

static void set_mode(struct ctimer_adapt *t, uint32_t fid, struct fstate *s, int mode)
{
    if (mode != TIMED && !s->listed) {
        if (ctimer_grow((void **)&t->ever, &t->ever_cap, t->never + 1, sizeof *t->ever, 64) != 0)
            return; /* out of memory: it stays timed (its words would not be read) */
        t->ever[t->never++] = fid;
        s->listed = 1;
    }
    s->mode = (uint8_t)mode;
    for (uint8_t k = 0; k < s->ncids; k++)
        apply(t, s->cids[k], mode != TIMED, s->nosample);
    t->switches++;
}

void ctimer_timing_clock(struct ctimer_adapt *t, const struct ctimer_clock *c)
{
    if (!t || t->timing != CTIMER_TIMING_ADAPTIVE)
        return;
    double ns = BACK_FACTOR * (double)t->adapt_ns;
    double ticks = c->tsc ? ns * 4294967296.0 / (double)c->mult : ns;
    atomic_store(&t->h->long_ticks, ticks >= 1 ? (uint64_t)ticks : 1);
}

void ctimer_timing_add(struct ctimer_adapt *t, uint32_t fid, uint32_t cid, uint16_t flags)
{
    if (!t || cid == 0 || cid >= t->L->count_cap)
        return; /* no word: always timed */
    struct fstate *s = state(t, fid);
    if (!s || s->ncids == MAX_CIDS)
        return;
    for (uint8_t k = 0; k < s->ncids; k++)
        if (s->cids[k] == cid)
            return;
    s->cids[s->ncids++] = cid;
    if (s->ncids > 1) { /* another body of a function already known: it follows the function's mode */
        if (s->mode != TIMED)
            apply(t, cid, 1, s->nosample);
        return;
    }
    if (t->timing == CTIMER_TIMING_ALL)
        return; /* every call timed, count= too: the full trace */
    if (flags & CTIMER_FLAG_COUNT) {
        s->nosample = 1;
        set_mode(t, fid, s, PINNED);
    } else if (t->timing == CTIMER_TIMING_COUNTED) {
        set_mode(t, fid, s, PINNED);
    }
}

void ctimer_timing_observe(void *ctx, uint32_t fid, uint64_t dur)
{
    struct ctimer_adapt *t = ctx;
    if (t->timing != CTIMER_TIMING_ADAPTIVE || fid >= t->nf)
        return;
    struct fstate *s = &t->f[fid];
    if (!s->ncids)
        return;
    if (s->mode == TIMED) {
        s->n++;
        if (dur > OUTLIER_FACTOR * t->adapt_ns)
            s->nlong++;
        else
            s->sum += dur;
        uint64_t usual = s->n - s->nlong;
        if (s->n >= t->adapt_calls && s->nlong * 100 <= s->n && s->sum < t->adapt_ns * usual) {
            s->ema = (double)s->sum / (double)usual;
            set_mode(t, fid, s, COUNTED);
        }
    } else if (s->mode == COUNTED) {
        /* clamped: one preempted sample (10 ms) moves the mean by 2 us, not by 1.25 ms; three long
         * ones in a row send the function back */
        double d = (double)dur, cap = CLAMP_FACTOR * (double)t->adapt_ns;
        s->ema += ((d < cap ? d : cap) - s->ema) * EMA_WEIGHT;
        if (s->ema > BACK_FACTOR * (double)t->adapt_ns) {
            s->n = s->nlong = s->sum = 0;
            set_mode(t, fid, s, TIMED);
        }
    }
}

void ctimer_timing_collect(struct ctimer_adapt *t, struct ctimer_writer *w, uint32_t slot, uint32_t thread)
{
    if (!t || !t->never || slot >= t->L->n_slots || thread == 0)
        return;
    _Atomic uint64_t *words = ctimer_shm_counts(t->h, slot);
    for (size_t k = 0; k < t->never; k++) {
        uint32_t fid = t->ever[k];
        const struct fstate *s = &t->f[fid];
        uint64_t v = 0;
        for (uint8_t c = 0; c < s->ncids; c++)
            v += atomic_load_explicit(&words[s->cids[c]], memory_order_relaxed) & CTIMER_COUNT_MASK;
        if (v)
            ctimer_writer_set_counted(w, thread, fid, v);
    }
}

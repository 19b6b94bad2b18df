/*
 * counts.h — program side: counted calls (ctimer.h, "Counted calls").  Each recording thread's
 * __ctimer_counts points at its slot's count words in the shared memory; before and after that, at
 * a read-only array of zeros, so that the plugin's inline test always sends the call to
 * __ctimer_enter.
 */
#ifndef CTIMER_COUNTS_H
#define CTIMER_COUNTS_H

#include <stdint.h>

#include "ctimer.h"
#include "shm.h"

/* Points the calling thread's counts at slot `slot`'s words and sets the bits of the functions
 * counted now (h->count_on).  Call after the slot is ACTIVE (see shm.h, count_on). */
void ctimer_counts_attach(struct ctimer_shm_header *h, uint32_t slot);
/* Points the calling thread's counts back at the zeros (thread exit, fork child). */
void ctimer_counts_detach(void);
/* Picks the next sampling gap: __ctimer_enter calls it when the countdown went negative. */
void ctimer_counts_rearm(void) __attribute__((noinline, visibility("hidden")));
/* t0 of a sampled call: the runtime's own tag, never in an event (timestamps stay below 2^62:
 * 48 years of a 3 GHz TSC). */
#define CTIMER_T0_SAMPLE (UINT64_C(1) << 62)
/* The calling thread's latest sampled call: its function and t0 (untagged), which the enter of a
 * sampled call sets (hotpath.c: one store after its clock read, so that a sampled call measures
 * what a timed one does) and its exit reads. */
extern __thread struct ctimer_desc *ctimer_sample_desc __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern __thread uint64_t ctimer_sample_t0 __attribute__((tls_model("initial-exec"), visibility("hidden")));
/* At the sampled call's exit: if it was long (longer than the recorder's bound for going back to
 * timed, h->long_ticks), this thread times its function again at once, without waiting for the
 * recorder to see the call (its chunk may take seconds to fill). */
void ctimer_counts_sample_end(uint64_t t0) __attribute__((visibility("hidden")));
/* The words each slot needs so that every descriptor id registered so far fits, with room for
 * modules loaded later. */
uint32_t ctimer_counts_cap(uint32_t ids_used);
/* What an empty timed call measures: the median timestamp difference of the hot path's two
 * clock reads with its stores between them. */
uint64_t ctimer_counts_probe_ticks(void);

#endif /* CTIMER_COUNTS_H */

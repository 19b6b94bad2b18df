/*
 * timing.h — recorder side: the adaptive rule (CTIMER_TIMING) that switches functions between
 * timed and counted in the program's count words, and the reading of those words.
 */
#ifndef CTIMER_TIMING_H
#define CTIMER_TIMING_H

#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "recorder.h"
#include "shm.h"
#include "writer.h"

struct ctimer_adapt;

/* The rule for the run in h (its CTIMER_TIMING and bounds); NULL if out of memory. */
struct ctimer_adapt *ctimer_timing_new(struct ctimer_shm_header *h, const struct ctimer_layout *L);
void ctimer_timing_free(struct ctimer_adapt *t);
/* The clock is calibrated: tells the program, in its timestamp units, how long a sampled call
 * must be to send its thread back to timing the function. */
void ctimer_timing_clock(struct ctimer_adapt *t, const struct ctimer_clock *c);
/* A function from the descriptor log: its writer id, count word and CTIMER_FLAG_*. */
void ctimer_timing_add(struct ctimer_adapt *t, uint32_t fid, uint32_t cid, uint16_t flags);
/* A completed timed call (ctimer_call_observer): the rule. */
void ctimer_timing_observe(void *t, uint32_t fid, uint64_t dur_ns);
/* Hands the counts in slot `slot`'s words, for the thread with index `thread`, to the writer. */
void ctimer_timing_collect(struct ctimer_adapt *t, struct ctimer_writer *w, uint32_t slot, uint32_t thread);
/* Mode changes so far. */
uint64_t ctimer_timing_switches(const struct ctimer_adapt *t);

#endif /* CTIMER_TIMING_H */

/*
 * registry.h — descriptor ranges handed over by __ctimer_register, and the writer's function table
 * (descriptor pointer -> function id, deduplicated by content).
 */
#ifndef CTIMER_REGISTRY_H
#define CTIMER_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "ctimer.h"

struct ctimer_range {
    struct ctimer_desc *start, *stop;
};

/* Copies registered ranges [from, from+max) to out; returns how many were copied. */
size_t ctimer_registry_ranges(size_t from, struct ctimer_range *out, size_t max);
/* For pthread_atfork: the range list's mutex. */
void ctimer_registry_lock(void);
void ctimer_registry_unlock(void);
void ctimer_registry_reset_lock(void); /* in a forked child */

/* One row of <t>_functions. */
struct ctimer_func {
    uint32_t id;
    uint16_t kind; /* enum ctimer_kind */
    uint32_t line;
    char *strct, *name, *file, *caller; /* strct and caller may be NULL */
    uint64_t hash;
};

struct ctimer_funcs; /* writer-owned: no locking */

struct ctimer_funcs *ctimer_funcs_new(void);
void ctimer_funcs_free(struct ctimer_funcs *f);

/*
 * The function id of a descriptor (1, 2, ...), assigning one (and a new <t>_functions row) the first
 * time its content is seen.  `trusted`: the descriptor lies in a registered range (its id field is
 * then set too); otherwise it came from the event stream and the record itself is read with a
 * checked copy.  Strings are always read with checked copies, so a bad pointer never faults: an
 * unreadable descriptor becomes the function "?".  Returns 0 only when out of memory.
 */
uint32_t ctimer_funcs_resolve(struct ctimer_funcs *f, struct ctimer_desc *d, int trusted);
/*
 * Resolves every descriptor in [start, stop).  Returns the number of records that are not descriptors
 * of this ABI (all-zero padding is not counted), or -1 if the range is not a whole, aligned array of
 * 48-byte records (then nothing is read: those functions get named when first called).
 */
long ctimer_funcs_add_range(struct ctimer_funcs *f, struct ctimer_desc *start, struct ctimer_desc *stop);

/* Functions are numbered 1..count; get(i) for i in that range. */
uint32_t ctimer_funcs_count(const struct ctimer_funcs *f);
const struct ctimer_func *ctimer_funcs_get(const struct ctimer_funcs *f, uint32_t id);

#endif /* CTIMER_REGISTRY_H */

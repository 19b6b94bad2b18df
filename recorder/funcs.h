/*
 * funcs.h — recorder side: the run's function table.  Descriptor address (the key the events carry)
 * -> function id, deduplicated by content, so the same static inline function compiled into several
 * translation units is one function.  Contents come from the program's descriptor log (shm.h); an
 * address the log does not name is read from the program's memory with checked reads, and an
 * unreadable one becomes the function "?".
 */
#ifndef CTIMER_FUNCS_H
#define CTIMER_FUNCS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctimer.h"

/* One row of <t>_functions. */
struct ctimer_func {
    uint32_t id;
    uint16_t kind; /* enum ctimer_kind */
    uint32_t line;
    char *strct, *name, *file, *caller; /* strct and caller may be NULL */
    uint64_t hash;
};

struct ctimer_funcs; /* owned by one thread: no locking */

/* A table whose unknown descriptors are read from process `pid` (getpid() in tests). */
struct ctimer_funcs *ctimer_funcs_new(pid_t pid);
void ctimer_funcs_free(struct ctimer_funcs *f);

/*
 * Names the descriptor at `addr` (a log record).  Strings may be NULL; they are copied.  Returns the
 * function id, or 0 when out of memory.
 */
uint32_t ctimer_funcs_add(struct ctimer_funcs *f, uint64_t addr, uint16_t kind, uint32_t line, const char *name,
                          const char *strct, const char *file, const char *caller);
/* The function id of the descriptor at `addr`: known, read from the source process, or "?".  Returns 0
 * only when out of memory. */
uint32_t ctimer_funcs_resolve(struct ctimer_funcs *f, uint64_t addr);
/* The id already given to `addr`, or 0. */
uint32_t ctimer_funcs_lookup(const struct ctimer_funcs *f, uint64_t addr);
/*
 * Names every descriptor in [start, stop), read with checked reads from the source process (tests
 * hand their own arrays).  Returns the number of records that are not descriptors of this ABI
 * (all-zero padding is not counted), or -1 if the range is not a whole, aligned array of 48-byte
 * records (then nothing is read).
 */
long ctimer_funcs_add_range(struct ctimer_funcs *f, uint64_t start, uint64_t stop);

/* Functions are numbered 1..count; get(i) for i in that range. */
uint32_t ctimer_funcs_count(const struct ctimer_funcs *f);
const struct ctimer_func *ctimer_funcs_get(const struct ctimer_funcs *f, uint32_t id);
/* The kind of function id (CTIMER_KIND_FUNCTION for an unknown id). */
uint16_t ctimer_funcs_kind(const struct ctimer_funcs *f, uint32_t id);

#endif /* CTIMER_FUNCS_H */

/*
 * desc.h — both sides: what makes a record of the descriptor section a descriptor of this ABI.
 * The program checks it when it publishes a range (registry.c), the recorder when it reads one
 * from the program's memory (recorder/funcs.c).
 */
#ifndef CTIMER_DESC_H
#define CTIMER_DESC_H

#include <stddef.h>

#include "ctimer.h"

/* A record that is really a descriptor of this ABI (not padding, not a foreign layout). */
static inline int ctimer_desc_plausible(const struct ctimer_desc *d)
{
    return d->abi == CTIMER_ABI_VERSION && (d->flags & ~CTIMER_FLAGS_KNOWN) == 0 && d->kind <= CTIMER_KIND_CALL && d->name;
}

/* All-zero padding between descriptors (not counted as a foreign record). */
static inline int ctimer_desc_is_zero(const struct ctimer_desc *d)
{
    const unsigned char *p = (const unsigned char *)d;
    for (size_t i = 0; i < sizeof *d; i++)
        if (p[i])
            return 0;
    return 1;
}

#endif /* CTIMER_DESC_H */

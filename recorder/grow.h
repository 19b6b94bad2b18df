/*
 * grow.h — recorder side: the one growable-array helper (doubling realloc) the recorder's files
 * share.
 */
#ifndef CTIMER_GROW_H
#define CTIMER_GROW_H

#include <stdlib.h>

/* Makes *p (of *cap elements of elem bytes) hold at least need, doubling from first.  0, or -1 when
 * out of memory (then *p and *cap are unchanged). */
static inline int ctimer_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

#endif /* CTIMER_GROW_H */

/*
 * sqltext.h — shared by the recorder (schema.c) and the ctimer command (cli/): the names of the
 * objects a run owns, and the substitution of a run's table name into SQL text.  One list, so that
 * a new table or view of a run is known to both: the recorder refuses a run name that would clash
 * with any of them, and `ctimer merge` copies every one.
 */
#ifndef CTIMER_SQLTEXT_H
#define CTIMER_SQLTEXT_H

#include <stddef.h>
#include <string.h>

/* Every object a run owns, by suffix of its table name: tables first, then views (the order
 * `ctimer merge` copies them in). */
#define CTIMER_RUN_SUFFIXES                                                                             \
    "", "_blocks", "_functions", "_threads", "_open", "_edges", "_counted", "_args", "_calls",          \
        "_summary", "_methods", "_edges_named", "_thread_summary", "_thread_totals"

/* tmpl with every "%1$s" replaced by table, in memory from alloc (NULL if it fails).  The table name
 * must have been validated (schema.c) or be quoted by the template. */
static inline char *ctimer_sql_subst(const char *tmpl, const char *table, void *(*alloc)(size_t))
{
    size_t tl = strlen(table), n = 0;
    for (const char *p = tmpl; (p = strstr(p, "%1$s")) != NULL; p += 4)
        n++;
    char *out = alloc(strlen(tmpl) + n * tl + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = tmpl;;) {
        const char *q = strstr(p, "%1$s");
        size_t k = q ? (size_t)(q - p) : strlen(p);
        memcpy(o, p, k);
        o += k;
        if (!q)
            break;
        memcpy(o, table, tl);
        o += tl;
        p = q + 4;
    }
    *o = 0;
    return out;
}

#endif /* CTIMER_SQLTEXT_H */

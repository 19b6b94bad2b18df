/*
 * stacks.c — a run's rows folded into a tree of call paths, streaming: rows are read in id order
 * (the rowid order, no sort), and each thread keeps the stack of its open rows, so a row's parent
 * (id - parent) is found by popping that stack.  Memory grows with the distinct paths, never with
 * the rows.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct tstack {
    int64_t *ids;
    int *nodes;
    size_t n, cap;
};

static size_t hash(int parent, int64_t func)
{
    uint64_t h = (uint64_t)parent * 0x9E3779B97F4A7C15ull ^ (uint64_t)func * 0xC2B2AE3D27D4EB4Full;
    return (size_t)(h ^ (h >> 29));
}

static void rehash(struct stacks *s)
{
    free(s->slots);
    s->nslots = s->nslots ? s->nslots * 2 : 1024;
    s->slots = xcalloc(s->nslots, sizeof *s->slots);
    for (size_t i = 1; i < s->n; i++) {
        size_t k = hash(s->nodes[i].parent, s->nodes[i].func) & (s->nslots - 1);
        while (s->slots[k])
            k = (k + 1) & (s->nslots - 1);
        s->slots[k] = (int)i + 1;
    }
}

static int new_node(struct stacks *s, int parent, int64_t func)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->nodes = xrealloc(s->nodes, s->cap * sizeof *s->nodes);
    }
    int i = (int)s->n++;
    s->nodes[i] = (struct stack_node){func, parent, -1, -1, 0, 0, 0};
    if (parent >= 0) {
        s->nodes[i].next = s->nodes[parent].first_child;
        s->nodes[parent].first_child = i;
    }
    return i;
}

static int child(struct stacks *s, int parent, int64_t func)
{
    if (2 * s->n >= s->nslots)
        rehash(s);
    size_t k = hash(parent, func) & (s->nslots - 1);
    for (; s->slots[k]; k = (k + 1) & (s->nslots - 1)) {
        const struct stack_node *c = &s->nodes[s->slots[k] - 1];
        if (c->parent == parent && c->func == func)
            return s->slots[k] - 1;
    }
    int i = new_node(s, parent, func);
    s->slots[k] = i + 1;
    return i;
}

static void push(struct tstack *t, int64_t id, int node)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->ids = xrealloc(t->ids, t->cap * sizeof *t->ids);
        t->nodes = xrealloc(t->nodes, t->cap * sizeof *t->nodes);
    }
    t->ids[t->n] = id;
    t->nodes[t->n++] = node;
}

int stacks_build(sqlite3 *db, const char *table, struct stacks *s)
{
    memset(s, 0, sizeof *s);
    new_node(s, -1, -1);
    rehash(s);
    s->names = cli_function_names(db, table, &s->nnames);
    sqlite3_stmt *st = cli_prepare(db,
                                   "SELECT c.id, c.parent, b.thread, c.func, c.dur FROM \"%1$s\" c"
                                   " JOIN \"%1$s_blocks\" b ON b.id = c.id >> 8 ORDER BY c.id",
                                   table);
    if (!st)
        return 1;
    struct tstack *th = NULL;
    size_t nth = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), parent = sqlite3_column_int64(st, 1);
        int64_t thread = sqlite3_column_int64(st, 2), func = sqlite3_column_int64(st, 3);
        int64_t dur = sqlite3_column_int64(st, 4);
        if (thread < 0 || thread > 1000000)
            continue;
        if ((size_t)thread >= nth) {
            size_t nn = (size_t)thread + 16;
            th = xrealloc(th, nn * sizeof *th);
            memset(th + nth, 0, (nn - nth) * sizeof *th);
            nth = nn;
        }
        struct tstack *t = &th[thread];
        int pnode = 0;
        if (parent == 0)
            t->n = 0;
        else {
            int64_t pid = id - parent;
            while (t->n && t->ids[t->n - 1] != pid)
                t->n--;
            pnode = t->n ? t->nodes[t->n - 1] : 0; /* a parent without a row (rows lost): a root */
        }
        int node = child(s, pnode, func);
        s->nodes[node].calls++;
        s->nodes[node].total_ns += dur;
        s->nodes[node].self_ns += dur;
        if (pnode)
            s->nodes[pnode].self_ns -= dur;
        push(t, id, node);
        s->rows++;
    }
    for (size_t i = 0; i < nth; i++) {
        free(th[i].ids);
        free(th[i].nodes);
    }
    free(th);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cli_sql_error(db, table);
    return 0;
}

void stacks_free(struct stacks *s)
{
    free(s->nodes);
    free(s->slots);
    cli_free_names(s->names, s->nnames);
    memset(s, 0, sizeof *s);
}

int64_t *stacks_inclusive(const struct stacks *s, int by_calls)
{
    int64_t *w = xcalloc(s->n ? s->n : 1, sizeof *w);
    /* children always have larger indices than their parent: one backward pass */
    for (size_t i = s->n; i-- > 0;) {
        int64_t own = by_calls ? s->nodes[i].calls : s->nodes[i].self_ns;
        w[i] += own > 0 ? own : 0;
        if (s->nodes[i].parent >= 0)
            w[s->nodes[i].parent] += w[i];
    }
    return w;
}

static const struct stacks *sort_ctx;

static int by_name(const void *a, const void *b)
{
    const struct stack_node *x = &sort_ctx->nodes[*(const int *)a], *y = &sort_ctx->nodes[*(const int *)b];
    const char *nx = x->func >= 0 && (size_t)x->func < sort_ctx->nnames && sort_ctx->names[x->func]
                         ? sort_ctx->names[x->func] : "?";
    const char *ny = y->func >= 0 && (size_t)y->func < sort_ctx->nnames && sort_ctx->names[y->func]
                         ? sort_ctx->names[y->func] : "?";
    int c = strcmp(nx, ny);
    return c ? c : (x->func > y->func) - (x->func < y->func);
}

int *stacks_children_sorted(const struct stacks *s, int node, size_t *n)
{
    *n = 0;
    for (int c = s->nodes[node].first_child; c >= 0; c = s->nodes[c].next)
        (*n)++;
    int *out = xmalloc((*n ? *n : 1) * sizeof *out);
    size_t k = 0;
    for (int c = s->nodes[node].first_child; c >= 0; c = s->nodes[c].next)
        out[k++] = c;
    sort_ctx = s;
    qsort(out, *n, sizeof *out, by_name);
    return out;
}

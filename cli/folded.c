/* folded.c — folded stacks ("main;fib;fib 123"), one line per call path, paths in name order. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct fold {
    const struct stacks *s;
    int by_calls;
    FILE *out;
    char *path;
    size_t len, cap;
};

static void walk(struct fold *f, int node)
{
    const struct stack_node *n = &f->s->nodes[node];
    size_t saved = f->len;
    if (node != 0) {
        const char *name = n->func >= 0 && (size_t)n->func < f->s->nnames && f->s->names[n->func]
                               ? f->s->names[n->func] : "?";
        size_t k = strlen(name);
        if (f->len + k + 2 > f->cap) {
            f->cap = (f->len + k + 2) * 2;
            f->path = xrealloc(f->path, f->cap);
        }
        if (f->len)
            f->path[f->len++] = ';';
        memcpy(f->path + f->len, name, k);
        f->len += k;
        f->path[f->len] = 0;
        int64_t w = f->by_calls ? n->calls : n->self_ns;
        if (w > 0)
            fprintf(f->out, "%s %lld\n", f->path, (long long)w);
    }
    size_t nc;
    int *kids = stacks_children_sorted(f->s, node, &nc);
    for (size_t i = 0; i < nc; i++)
        walk(f, kids[i]);
    free(kids);
    f->len = saved;
    if (f->path)
        f->path[f->len] = 0;
}

int export_folded(const struct stacks *s, int by_calls, FILE *out)
{
    struct fold f = {s, by_calls, out, NULL, 0, 0};
    walk(&f, 0);
    free(f.path);
    return 0;
}

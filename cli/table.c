/* table.c — aligned text columns: widths counted in characters (UTF-8), not bytes. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct table {
    int ncols;
    char **cells; /* nrows x ncols, row 0 the headers */
    size_t nrows, cap;
    int *left;
};

static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

struct table *table_new(int ncols, const char *const *headers)
{
    struct table *t = xcalloc(1, sizeof *t);
    t->ncols = ncols = ncols < 1 ? 1 : ncols > 64 ? 64 : ncols;
    t->left = xcalloc((size_t)ncols, sizeof *t->left);
    const char *h[64];
    for (int c = 0; c < ncols; c++) {
        t->left[c] = headers[c][0] == '<';
        h[c] = headers[c] + t->left[c];
    }
    table_add(t, h);
    return t;
}

void table_add(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->cells = xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
    }
    for (int c = 0; c < t->ncols; c++)
        t->cells[t->nrows * (size_t)t->ncols + (size_t)c] = xstrdup(cells[c] ? cells[c] : "");
    t->nrows++;
}

void table_print(struct table *t, FILE *f)
{
    size_t *w = xcalloc((size_t)t->ncols, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t k = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (k > w[c])
                w[c] = k;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            size_t pad = w[c] - width(s);
            int last = c == t->ncols - 1;
            if (c > 0)
                fputs("  ", f);
            if (!t->left[c])
                fprintf(f, "%*s", (int)pad, "");
            fputs(s, f);
            if (t->left[c] && !last)
                fprintf(f, "%*s", (int)pad, "");
        }
        fputc('\n', f);
    }
    free(w);
}

void table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->left);
    free(t);
}

/* batch.c — the writer's batch of rows: id order and the virtual table.  See batch.h. */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

int ctimer_batch_reserve(struct ctimer_batch *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    struct ctimer_row *rows = realloc(b->rows, cap * sizeof *rows);
    if (!rows)
        return -1;
    b->rows = rows;
    /* order and tmp carry nothing between sorts: fresh arrays, both or neither */
    struct ctimer_sort_key *order = malloc(cap * sizeof *order), *tmp = malloc(cap * sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return -1;
    }
    free(b->order);
    free(b->tmp);
    b->order = order;
    b->tmp = tmp;
    b->cap = cap;
    return 0;
}

void ctimer_batch_free(struct ctimer_batch *b)
{
    free(b->rows);
    free(b->order);
    free(b->tmp);
    memset(b, 0, sizeof *b);
}

#define DIGIT_BITS 11
#define DIGITS (1u << DIGIT_BITS)

void ctimer_batch_sort(struct ctimer_batch *b)
{
    size_t n = b->n;
    if (n == 0)
        return;
    int64_t lo = b->rows[0].v[CTIMER_COL_ID], hi = lo;
    for (size_t i = 1; i < n; i++) {
        int64_t id = b->rows[i].v[CTIMER_COL_ID];
        lo = id < lo ? id : lo;
        hi = id > hi ? id : hi;
    }
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    struct ctimer_sort_key *a = b->order, *t = b->tmp;
    for (size_t i = 0; i < n; i++)
        a[i] = (struct ctimer_sort_key){(uint64_t)b->rows[i].v[CTIMER_COL_ID] - (uint64_t)lo, (uint32_t)i, 0};
    /* least significant digit first; each pass is stable, so the result is sorted on every digit */
    for (unsigned shift = 0; shift < 64 && (span >> shift) != 0; shift += DIGIT_BITS) {
        size_t count[DIGITS];
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(a[i].key >> shift) & (DIGITS - 1)]++;
        size_t sum = 0;
        for (unsigned d = 0; d < DIGITS; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            t[count[(a[i].key >> shift) & (DIGITS - 1)]++] = a[i];
        struct ctimer_sort_key *x = a;
        a = t;
        t = x;
    }
    b->order = a;
    b->tmp = t;
}

/* ---------------------------------------------------------------- the virtual table */

struct batch_vtab {
    sqlite3_vtab base;
    struct ctimer_batch *b;
};

struct batch_cursor {
    sqlite3_vtab_cursor base;
    const struct ctimer_batch *b;
    size_t i;
};

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(" CTIMER_ROW_COLUMN_LIST ")");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY); /* not from a database's own views or triggers */
    struct batch_vtab *v = sqlite3_malloc(sizeof *v);
    if (!v)
        return SQLITE_NOMEM;
    memset(v, 0, sizeof *v);
    v->b = aux;
    *out = &v->base;
    return SQLITE_OK;
}

/* Distinct from vt_connect, so the module is not also an eponymous table in every schema. */
static int vt_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out, char **err)
{
    return vt_connect(db, aux, argc, argv, out, err);
}

static int vt_disconnect(sqlite3_vtab *v)
{
    sqlite3_free(v);
    return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    const struct ctimer_batch *b = ((struct batch_vtab *)v)->b;
    info->estimatedCost = (double)b->n + 1;
    info->estimatedRows = (sqlite3_int64)b->n;
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    struct batch_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->b = ((struct batch_vtab *)v)->b;
    *out = &c->base;
    return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int vt_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr, int argc, sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    (void)argc;
    (void)argv;
    ((struct batch_cursor *)c)->i = 0;
    return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *c)
{
    ((struct batch_cursor *)c)->i++;
    return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *c)
{
    const struct batch_cursor *k = (const struct batch_cursor *)c;
    return k->i >= k->b->n;
}

static int vt_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
    const struct batch_cursor *k = (const struct batch_cursor *)c;
    int64_t v = k->b->rows[k->b->order[k->i].idx].v[col];
    if (v == CTIMER_ROW_NULL)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, v);
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((struct batch_cursor *)c)->i;
    return SQLITE_OK;
}

static const sqlite3_module batch_module = {
    .iVersion = 0,
    .xCreate = vt_create,
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
};

int ctimer_batch_attach(sqlite3 *db, struct ctimer_batch *b)
{
    ctimer_batch_detach(db); /* a table left by an earlier writer on this connection would use its batch */
    int rc = sqlite3_create_module_v2(db, "ctimer_batch", &batch_module, b, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.ctimer_batch USING ctimer_batch", NULL, NULL, NULL);
    return rc;
}

void ctimer_batch_detach(sqlite3 *db)
{
    sqlite3_exec(db, "DROP TABLE IF EXISTS temp.ctimer_batch", NULL, NULL, NULL);
    sqlite3_create_module_v2(db, "ctimer_batch", NULL, NULL, NULL);
}

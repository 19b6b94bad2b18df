/*
 * batch.h — the writer's batch of rows: put in call-id order, and read by SQLite through a virtual
 * table, so that one `INSERT ... SELECT` appends the whole batch.  See docs/runtime-design.md,
 * "Batching".
 *
 * Rows are produced in post-order (a call's row when it returns) while ids are pre-order (given at
 * entry).  Inserted as they come, most rows would land inside the B-tree, each a seek and many a page
 * split; in id order almost every row is an append at the right edge (SQLite's fast path, and pages
 * filled completely).
 */
#ifndef CTIMER_BATCH_H
#define CTIMER_BATCH_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The columns of a row of "<t>", in table order: their one definition.  The enum below, the
 * virtual table's declaration (batch.c), the table's CREATE and the INSERT ... SELECT (schema.c)
 * are all made from this list.  (id is the rowid; see docs/runtime-design.md, "Physical layout".)
 */
#define CTIMER_ROW_COLUMN_LIST "id, parent, depth, func, start, dur, child, span, cpu"
enum { CTIMER_COL_ID, CTIMER_COL_PARENT, CTIMER_COL_DEPTH, CTIMER_COL_FUNC, CTIMER_COL_START, CTIMER_COL_DUR,
       CTIMER_COL_CHILD, CTIMER_COL_SPAN, CTIMER_COL_CPU, CTIMER_ROW_COLUMNS };
/* A value the virtual table gives as NULL: cpu where none was recorded (a NULL costs one byte in the
 * record header and none in its body). */
#define CTIMER_ROW_NULL INT64_MIN

struct ctimer_row {
    int64_t v[CTIMER_ROW_COLUMNS];
};

struct ctimer_sort_key {
    uint64_t key; /* id - smallest id of the batch */
    uint32_t idx; /* index into rows */
    uint32_t pad;
};

struct ctimer_batch {
    struct ctimer_row *rows;
    size_t n, cap;
    /* After ctimer_batch_sort: rows[order[i].idx] for i < n is id order.  (order and tmp hold cap
     * entries each, so sorting never allocates.) */
    struct ctimer_sort_key *order, *tmp;
};

/* Room for `need` rows (rows, order and scratch); 0, or -1 if out of memory (nothing changed). */
int ctimer_batch_reserve(struct ctimer_batch *b, size_t need);
void ctimer_batch_free(struct ctimer_batch *b);

/* Fills b->order with the rows in increasing id order (LSD radix sort over id - min id, as many 11-bit
 * digits as the id span needs: two for a span below 4 M).  Ids are distinct. */
void ctimer_batch_sort(struct ctimer_batch *b);

/*
 * Registers the module "ctimer_batch" on db and creates temp.ctimer_batch over b: a read-only table
 * (id, parent, depth, func, start, dur, child) holding b's first n rows in order[] order.  The temp
 * table lives only in this connection (the database file is not touched).  Returns an SQLite code.
 */
int ctimer_batch_attach(sqlite3 *db, struct ctimer_batch *b);
/* Drops temp.ctimer_batch and the module. */
void ctimer_batch_detach(sqlite3 *db);

#endif /* CTIMER_BATCH_H */

/* test_batch.c — the writer's batch (batch.c): id order, and the virtual table INSERT ... SELECT reads.
 * Side: recorder. */
#include "batch.h"
#include "testutil.h"

static struct ctimer_batch b;

static void teardown(void) { ctimer_batch_free(&b); }

static void fill(const int64_t *ids, size_t n)
{
    ck_assert_int_eq(ctimer_batch_reserve(&b, n), 0);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < CTIMER_ROW_COLUMNS; c++)
            b.rows[i].v[c] = ids[i] * 10 + c; /* every column says which row it belongs to */
        b.rows[i].v[CTIMER_COL_ID] = ids[i];
    }
    b.n = n;
}

static void assert_sorted(void)
{
    char *seen = calloc(b.n, 1);
    for (size_t i = 0; i < b.n; i++) {
        ck_assert_uint_lt(b.order[i].idx, b.n);
        ck_assert_int_eq(seen[b.order[i].idx], 0); /* a permutation */
        seen[b.order[i].idx] = 1;
        if (i)
            ck_assert_int_lt(b.rows[b.order[i - 1].idx].v[CTIMER_COL_ID], b.rows[b.order[i].idx].v[CTIMER_COL_ID]);
    }
    free(seen);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A complete binary tree of calls: ids given in pre-order (at entry), rows produced in post-order
 * (at return), as the writer does. */
static void tree(int depth, int64_t *next_id, int64_t *out, size_t *k)
{
    int64_t id = (*next_id)++;
    if (depth > 0) {
        tree(depth - 1, next_id, out, k);
        tree(depth - 1, next_id, out, k);
    }
    out[(*k)++] = id;
}

START_TEST(post_order_batch_comes_out_in_id_order)
{
    enum { N = (1 << 16) - 1 };
    int64_t *ids = malloc(N * sizeof *ids);
    int64_t next = 2; /* id 1: an outermost call still open, not in the batch */
    size_t k = 0;
    tree(15, &next, ids, &k);
    ck_assert_uint_eq(k, N);
    ck_assert_int_eq(ids[N - 1], 2); /* the subtree's root comes last */
    fill(ids, N);
    ctimer_batch_sort(&b);
    assert_sorted();
    ck_assert_int_eq(b.rows[b.order[0].idx].v[CTIMER_COL_ID], 2);
    ck_assert_int_eq(b.rows[b.order[N - 1].idx].v[CTIMER_COL_ID], N + 1);
    free(ids);
}
END_TEST

START_TEST(wide_spans_take_more_digits)
{
    /* random ids up to 2^62 (six 11-bit digits; distinct: the low 13 bits are the index), and a
     * straggler far below the others */
    enum { N = 5000 };
    int64_t ids[N];
    uint64_t s = 88172645463325252u;
    for (size_t i = 0; i < N; i++)
        ids[i] = (int64_t)((rnd(&s) >> 15) << 13 | i);
    ids[N / 2] = 0;
    ids[N - 1] = INT64_C(1) << 62;
    fill(ids, N);
    ctimer_batch_sort(&b);
    assert_sorted();
    ck_assert_int_eq(b.rows[b.order[0].idx].v[CTIMER_COL_ID], 0);
    ck_assert_int_eq(b.rows[b.order[N - 1].idx].v[CTIMER_COL_ID], INT64_C(1) << 62);
}
END_TEST

START_TEST(tiny_batches)
{
    ctimer_batch_sort(&b); /* empty: nothing to do */
    int64_t one = 7;
    fill(&one, 1);
    ctimer_batch_sort(&b);
    ck_assert_uint_eq(b.order[0].idx, 0);
    int64_t two[] = {9, 8};
    fill(two, 2);
    ctimer_batch_sort(&b);
    ck_assert_uint_eq(b.order[0].idx, 1);
    ck_assert_uint_eq(b.order[1].idx, 0);
}
END_TEST

static sqlite3 *memdb(void)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    return db;
}

START_TEST(insert_select_appends_the_batch_in_id_order)
{
    sqlite3 *db = memdb();
    ck_assert_int_eq(ctimer_batch_attach(db, &b), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE TABLE t(id INTEGER PRIMARY KEY, parent, depth, func, start, dur, child, span, cpu);"
                                  "CREATE TABLE log(n INTEGER PRIMARY KEY, id);"
                                  "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log(id) VALUES (new.id); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t ids[] = {5, 3, 4, 2, 9, 8, 7, 6, 1};
    fill(ids, 9);
    ctimer_batch_sort(&b);
    ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO t SELECT * FROM temp.ctimer_batch", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM log ORDER BY n)"), "1,2,3,4,5,6,7,8,9");
    /* every column of every row arrived */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t WHERE parent = id * 10 + 1 AND depth = id * 10 + 2 AND func ="
                                " id * 10 + 3 AND start = id * 10 + 4 AND dur = id * 10 + 5 AND child = id * 10 + 6"
                                " AND span = id * 10 + 7 AND cpu = id * 10 + 8"),
                     9);
    /* CTIMER_ROW_NULL reads as NULL (cpu where none was recorded), any other value as itself */
    sqlite3_exec(db, "DELETE FROM t", NULL, NULL, NULL);
    b.rows[0].v[CTIMER_COL_CPU] = CTIMER_ROW_NULL;
    ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO t SELECT * FROM temp.ctimer_batch", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t WHERE cpu IS NULL"), 1);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t WHERE cpu = id * 10 + 8"), 8);
    /* the next batch replaces the first */
    int64_t more[] = {11, 10};
    fill(more, 2);
    ctimer_batch_sort(&b);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM temp.ctimer_batch"), "10,11");
    /* the table lives in temp only: nothing in the database's schema */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'ctimer%'"), 0);
    ctimer_batch_detach(db);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM temp.sqlite_master WHERE name = 'ctimer_batch'"), 0);
    sqlite3_close(db);
}
END_TEST

START_TEST(reattaching_uses_the_new_batch)
{
    sqlite3 *db = memdb();
    struct ctimer_batch other = {0};
    ck_assert_int_eq(ctimer_batch_attach(db, &other), SQLITE_OK);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM temp.ctimer_batch"), 0);
    /* a second writer on the same connection (without detaching the first) */
    ck_assert_int_eq(ctimer_batch_attach(db, &b), SQLITE_OK);
    int64_t ids[] = {3, 1, 2};
    fill(ids, 3);
    ctimer_batch_sort(&b);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM temp.ctimer_batch"), "1,2,3");
    ctimer_batch_detach(db);
    sqlite3_close(db);
    ctimer_batch_free(&other);
}
END_TEST

START_TEST(attaching_needs_no_write_lock)
{
    /* another process is writing to the database: the temp table is created all the same */
    char path[512];
    snprintf(path, sizeof path, "%s/b.db", tu_tmpdir());
    sqlite3 *db, *other;
    char err[256];
    ck_assert_int_eq(ctimer_schema_open(path, 0, &db, err, sizeof err), 0);
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
    other = tu_open(path);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO x VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(ctimer_batch_attach(db, &b), SQLITE_OK);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM temp.ctimer_batch"), 0);
    ctimer_batch_detach(db);
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    sqlite3_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, post_order_batch_comes_out_in_id_order);
    tcase_add_test(tc, wide_spans_take_more_digits);
    tcase_add_test(tc, tiny_batches);
    tcase_add_test(tc, insert_select_appends_the_batch_in_id_order);
    tcase_add_test(tc, reattaching_uses_the_new_batch);
    tcase_add_test(tc, attaching_needs_no_write_lock);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

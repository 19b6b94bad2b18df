/* test_schema.c — the database contract (schema.c): tables, columns, views, run names.  Side: recorder. */
#include "schema.h"
#include "batch.h"
#include "testutil.h"

static struct ctimer_run_info info(void)
{
    struct ctimer_run_info ri = {
        .app_id = "app", .program = "prog", .argv = "prog -x", .host = "host",
        .started_at = "2026-11-24T06:30:00.123Z", .clock = "tsc", .mode = "trace",
        .pid = 4242, .min_ns = 0, .abi = 1,
        .start_time = 1795501800, /* 2026-11-24T06:30:00Z */
    };
    return ri;
}

struct messages {
    char lines[8][300];
    int n;
};

static void collect(const char *line, void *ctx)
{
    struct messages *m = ctx;
    if (m->n < 8)
        snprintf(m->lines[m->n], sizeof m->lines[0], "%s", line);
    m->n++;
}

static sqlite3 *fresh_db(char *path, size_t len)
{
    snprintf(path, len, "%s/t.db", tu_tmpdir());
    sqlite3 *db;
    char err[256];
    ck_assert_int_eq(ctimer_schema_open(path, 1000, &db, err, sizeof err), 0);
    return db;
}

/* Column names of a table or view, comma-separated, in order. */
static const char *columns(sqlite3 *db, const char *table)
{
    static char out[1024];
    out[0] = 0;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s') ORDER BY cid", table);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (out[0])
            strcat(out, ",");
        strcat(out, (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
}

START_TEST(open_sets_wal)
{
    char path[512];
    sqlite3 *db = fresh_db(path, sizeof path);
    ck_assert_str_eq(tu_text(db, "PRAGMA journal_mode"), "wal");
    ck_assert_int_eq(tu_int(db, "PRAGMA page_size"), 16384); /* a new file */
    sqlite3_close(db);
    /* an existing database keeps its page size */
    char old[600];
    snprintf(old, sizeof old, "%s.old", path);
    ck_assert_int_eq(sqlite3_open(old, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA page_size=4096; CREATE TABLE x(a)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256];
    ck_assert_int_eq(ctimer_schema_open(old, 1000, &db, err, sizeof err), 0);
    ck_assert_int_eq(tu_int(db, "PRAGMA page_size"), 4096);
    ck_assert_str_eq(tu_text(db, "PRAGMA journal_mode"), "wal");
    sqlite3_close(db);
}
END_TEST

START_TEST(open_failure_reports_sqlite_error)
{
    sqlite3 *db;
    char err[256] = "";
    ck_assert_int_eq(ctimer_schema_open("/nonexistent-dir/sub/x.db", 1000, &db, err, sizeof err), -1);
    ck_assert_ptr_null(db);
    ck_assert_str_eq(err, "unable to open database file");
}
END_TEST

START_TEST(start_run_creates_the_contract)
{
    char path[512], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    struct ctimer_run_info ri = info();
    int64_t id = 0;
    char err[256];
    struct messages m = {0};
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "myrun", "CTIMER_RUN", table, sizeof table, &id, collect, &m,
                                             err, sizeof err), 0);
    ck_assert_str_eq(table, "myrun");
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(m.n, 0);

    ck_assert_str_eq(columns(db, "runs"), "id,table_name,app_id,program,argv,pid,host,started_at,ended_at,calls,"
                                          "dropped,unfinished,rows,clock,ticks_per_us,mode,min_ns,abi,writer_ms,duration_ns,end_reason,"
                     "rows_lost,complete,timing,sample,probe_ns");
    ck_assert_str_eq(columns(db, "myrun"), "id,parent,depth,func,start,dur,child,span,cpu");
    /* the table's CREATE agrees with the one list of row columns (batch.h) */
    char list[128];
    size_t k = 0;
    for (const char *c = CTIMER_ROW_COLUMN_LIST; *c && k < sizeof list - 1; c++)
        if (*c != ' ')
            list[k++] = *c;
    list[k] = 0;
    ck_assert_str_eq(columns(db, "myrun"), list);
    ck_assert_str_eq(columns(db, "myrun_blocks"), "id,thread,depth,start");
    ck_assert_str_eq(columns(db, "myrun_functions"), "id,kind,struct,name,file,line,caller");
    ck_assert_str_eq(columns(db, "myrun_threads"), "id,tid,name,cpu_ns,wall_ns");
    ck_assert_str_eq(columns(db, "myrun_open"), "id");
    ck_assert_str_eq(columns(db, "myrun_edges"), "thread,caller,func,calls,total_ns,self_ns,min_ns,max_ns,cpu_ns,unfinished");
    ck_assert_str_eq(columns(db, "myrun_calls"), "id,parent_id,thread_id,depth,function,struct,kind,file,line,"
                                                 "start_ns,duration_ns,self_ns,unfinished,last_id,cpu_ns");
    ck_assert_str_eq(columns(db, "myrun_summary"), "function,struct,kind,file,line,calls,total_ns,self_ns,avg_ns,"
                                                   "min_ns,max_ns,threads,cpu_ns,timed_calls,unfinished,timing");
    ck_assert_str_eq(columns(db, "myrun_methods"), "struct,method,calls,total_ns,avg_ns,callees");
    ck_assert_str_eq(columns(db, "myrun_edges_named"), "caller,callee,calls,total_ns,self_ns,min_ns,max_ns,unfinished,timing");
    ck_assert_str_eq(columns(db, "myrun_counted"), "thread,func,calls");
    ck_assert_str_eq(columns(db, "myrun_thread_summary"), "thread,tid,thread_name,name,kind,struct,file,line,calls,"
                                                          "total_ns,self_ns,avg_ns,min_ns,max_ns,timed_calls,unfinished,timing");
    ck_assert_str_eq(columns(db, "myrun_thread_totals"), "thread,tid,thread_name,busy_ns,calls,top_function,top_self_ns,"
                                                          "cpu_ns,wall_ns");
    ck_assert_str_eq(columns(db, "myrun_args"), "id,arg0,arg1,arg2,arg3,ret");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM sqlite_master WHERE type='view' AND name LIKE 'myrun%'"), 6);
    /* edges is WITHOUT ROWID with the (thread, caller, func) key */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM pragma_index_list('myrun_edges') WHERE origin='pk'"), 1);

    ck_assert_str_eq(tu_text(db, "SELECT app_id||'|'||program||'|'||argv||'|'||pid||'|'||host||'|'||started_at||'|'||"
                                 "clock||'|'||mode||'|'||min_ns||'|'||abi||'|'||calls||'|'||rows FROM runs"),
                     "app|prog|prog -x|4242|host|2026-11-24T06:30:00.123Z|tsc|trace|0|1|0|0");
    ck_assert_int_eq(tu_int(db, "SELECT ended_at IS NULL FROM runs"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(generated_names_are_unique)
{
    char path[512], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    struct ctimer_run_info ri = info();
    int64_t id;
    char err[256];
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, NULL, NULL, table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_str_eq(table, "run_20261124_063000_4242");
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, NULL, NULL, table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_str_eq(table, "run_20261124_063000_4242_2");
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, NULL, NULL, table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_str_eq(table, "run_20261124_063000_4242_3");
    ck_assert_int_eq(id, 3);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM runs"), 3);
    sqlite3_close(db);
}
END_TEST

START_TEST(runs_of_an_older_version_get_the_new_columns)
{
    char path[512], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    /* runs as the first release created it, with one run in it */
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE runs(id INTEGER PRIMARY KEY, table_name TEXT UNIQUE NOT NULL,"
                                      " app_id TEXT, program TEXT, argv TEXT, pid INTEGER, host TEXT, started_at TEXT,"
                                      " ended_at TEXT, calls INTEGER, dropped INTEGER, unfinished INTEGER, rows INTEGER,"
                                      " clock TEXT, ticks_per_us REAL, mode TEXT, min_ns INTEGER, abi INTEGER);"
                                      "INSERT INTO runs(table_name, calls) VALUES ('old', 5)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct ctimer_run_info ri = info();
    int64_t id;
    char err[256];
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "new", "CTIMER_RUN", table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_int_eq(id, 2);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(table_name || ':' || calls || ':' || coalesce(writer_ms, 'null'))"
                                 " FROM (SELECT * FROM runs ORDER BY id)"),
                     "old:5:null,new:0:0");
    /* and the next run finds them there */
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "newer", "CTIMER_RUN", table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM runs WHERE writer_ms = 0"), 2);
    sqlite3_close(db);
}
END_TEST

START_TEST(taken_name_falls_back_with_one_message)
{
    char path[512], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    struct ctimer_run_info ri = info();
    int64_t id;
    char err[256];
    struct messages m = {0};
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "dup", "CTIMER_RUN", table, sizeof table, &id, collect, &m,
                                             err, sizeof err), 0);
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "dup", "CTIMER_RUN", table, sizeof table, &id, collect, &m,
                                             err, sizeof err), 0);
    ck_assert_int_eq(m.n, 1);
    ck_assert_str_eq(m.lines[0], "ctimer: CTIMER_RUN='dup' is already in runs; using run_20261124_063000_4242");
    ck_assert_str_eq(table, "run_20261124_063000_4242");

    /* a table that exists without a runs row is not clobbered either */
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE other_functions(x)", NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "other", "CTIMER_RUN", table, sizeof table, &id, collect, &m,
                                             err, sizeof err), 0);
    ck_assert_int_eq(m.n, 2);
    ck_assert_str_eq(m.lines[1], "ctimer: CTIMER_RUN='other' names a table that already exists; using "
                                 "run_20261124_063000_4242_2");
    sqlite3_close(db);
}
END_TEST

START_TEST(run_row_values_are_bound_not_spliced)
{
    char path[512], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    struct ctimer_run_info ri = info();
    ri.app_id = "x'); DROP TABLE runs; --";
    ri.argv = "prog \"quoted\" 'arg'";
    int64_t id;
    char err[256];
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, NULL, NULL, table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    ck_assert_str_eq(tu_text(db, "SELECT app_id FROM runs"), "x'); DROP TABLE runs; --");
    ck_assert_str_eq(tu_text(db, "SELECT argv FROM runs"), "prog \"quoted\" 'arg'");
    sqlite3_close(db);
}
END_TEST

START_TEST(invalid_identifiers_never_reach_sql)
{
    char path[512];
    sqlite3 *db = fresh_db(path, sizeof path);
    ck_assert_int_ne(ctimer_schema_create_run_tables(db, "a\"b"), SQLITE_OK);
    struct ctimer_stmts st;
    ck_assert_int_ne(ctimer_schema_prepare(db, "x y", &st), SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

START_TEST(span_gives_children_and_subtrees_as_id_ranges)
{
    char path[512], err[256], table[96];
    sqlite3 *db = fresh_db(path, sizeof path);
    struct ctimer_run_info ri = info();
    int64_t id;
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "r", "CTIMER_RUN", table, sizeof table, &id, NULL, NULL, err,
                                             sizeof err), 0);
    /* 1 { 2, 3 { 4 } } on one thread, 5 a second root: spans 3, 0, 1, 0, 0 */
    ck_assert_int_eq(sqlite3_exec(db, "INSERT INTO r_blocks VALUES (0, 1, 0, 0); INSERT INTO r_threads VALUES (1, 77, 'm', NULL, NULL);"
                                      "INSERT INTO r VALUES (1, 0, 0, 1, 0, 9, 5, 3, NULL), (2, 1, 1, 1, 1, 2, 0, 0, NULL),"
                                      " (3, 2, 1, 1, 3, 3, 1, 1, NULL), (4, 1, 2, 1, 4, 1, 0, 0, NULL),"
                                      " (5, 0, 0, 1, 10, 1, 0, 0, NULL)",
                                  NULL, NULL, NULL), SQLITE_OK);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id || ':' || last_id) FROM (SELECT * FROM r_calls ORDER BY id)"),
                     "1:4,2:2,3:4,4:4,5:5");
    /* the README's forms: children and the whole subtree of call 1, by rowid range */
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(c.id) FROM r_calls p JOIN r_calls c"
                                 " ON c.id BETWEEN p.id + 1 AND p.last_id AND c.parent_id = p.id WHERE p.id = 1"),
                     "2,3");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(c.id) FROM r_calls p JOIN r_calls c"
                                 " ON c.id BETWEEN p.id + 1 AND p.last_id AND c.thread_id = p.thread_id WHERE p.id = 1"),
                     "2,3,4");
    sqlite3_close(db);
}
END_TEST

START_TEST(iso_time_format)
{
    char out[32];
    ctimer_iso_time(out, 1795501800, 123456789);
    ck_assert_str_eq(out, "2026-11-24T06:30:00.123Z");
    ctimer_iso_time(out, 0, 0);
    ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema");
    TCase *tc = tcase_create("sql");
    tcase_add_test(tc, open_sets_wal);
    tcase_add_test(tc, open_failure_reports_sqlite_error);
    tcase_add_test(tc, start_run_creates_the_contract);
    tcase_add_test(tc, generated_names_are_unique);
    tcase_add_test(tc, runs_of_an_older_version_get_the_new_columns);
    tcase_add_test(tc, taken_name_falls_back_with_one_message);
    tcase_add_test(tc, run_row_values_are_bound_not_spliced);
    tcase_add_test(tc, invalid_identifiers_never_reach_sql);
    tcase_add_test(tc, span_gives_children_and_subtrees_as_id_ranges);
    tcase_add_test(tc, iso_time_format);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

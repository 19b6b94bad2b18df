/*
 * perfetto.c — Chrome trace-event JSON (what Perfetto and chrome://tracing open): one complete "X"
 * event per row, ts and dur in µs, pid the program's, tid the kernel thread id; thread_name and
 * process_name metadata.  Rows are streamed in id order, so memory stays flat on any run.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The name as a JSON literal, malloc'd, to print it fast for every row. */
static char *json_literal(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_str(f, s);
    fclose(f);
    return buf;
}

static void us(FILE *out, int64_t ns)
{
    fprintf(out, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

int export_perfetto(sqlite3 *db, const char *table, FILE *out)
{
    int64_t pid = 1;
    char *program = NULL;
    sqlite3_stmt *st = cli_prepare(db, "SELECT pid, program FROM runs WHERE table_name = ?1", NULL);
    if (!st)
        return 1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        pid = sqlite3_column_int64(st, 0);
        const char *p = (const char *)sqlite3_column_text(st, 1);
        program = xstrdup(p ? p : table);
    }
    sqlite3_finalize(st);

    size_t nn;
    char **names = cli_function_names(db, table, &nn);
    char **lit = xcalloc(nn + 1, sizeof *lit);
    char **cat = xcalloc(nn + 1, sizeof *cat);
    for (size_t i = 0; i < nn; i++)
        lit[i] = names[i] ? json_literal(names[i]) : NULL;
    st = cli_prepare(db, "SELECT id, kind FROM \"%1$s_functions\"", table);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *k = (const char *)sqlite3_column_text(st, 1);
        if (id >= 0 && (size_t)id < nn)
            cat[id] = xstrdup(k && strcmp(k, "method") == 0 ? "method" : "function");
    }
    sqlite3_finalize(st);

    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", out);
    fprintf(out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%lld,\"tid\":0,\"args\":{\"name\":", (long long)pid);
    json_str(out, program ? program : table);
    fputs("}}", out);

    /* thread index -> kernel tid */
    int64_t *tids = NULL;
    size_t ntids = 0;
    st = cli_prepare(db, "SELECT id, tid, name FROM \"%1$s_threads\" ORDER BY id", table);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), tid = sqlite3_column_int64(st, 1);
        const char *name = (const char *)sqlite3_column_text(st, 2);
        if (id < 0 || id > 1000000)
            continue;
        if ((size_t)id >= ntids) {
            size_t n2 = (size_t)id + 16;
            tids = xrealloc(tids, n2 * sizeof *tids);
            for (size_t k = ntids; k < n2; k++)
                tids[k] = -1;
            ntids = n2;
        }
        tids[id] = tid;
        char fallback[48];
        snprintf(fallback, sizeof fallback, "thread %lld", (long long)tid);
        fprintf(out, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%lld,\"tid\":%lld,\"args\":{\"name\":",
                (long long)pid, (long long)tid);
        json_str(out, name ? name : fallback);
        fputs("}}", out);
    }
    sqlite3_finalize(st);

    int ret = 0;
    st = cli_prepare(db,
                     "SELECT c.func, b.thread, b.start + c.start, c.dur, o.id IS NOT NULL FROM \"%1$s\" c"
                     " JOIN \"%1$s_blocks\" b ON b.id = c.id >> 8"
                     " LEFT JOIN \"%1$s_open\" o ON o.id = c.id ORDER BY c.id",
                     table);
    if (!st)
        ret = 1;
    int rc = SQLITE_DONE;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t f = sqlite3_column_int64(st, 0), th = sqlite3_column_int64(st, 1);
        int64_t start = sqlite3_column_int64(st, 2), dur = sqlite3_column_int64(st, 3);
        int unfinished = sqlite3_column_int(st, 4);
        int known = f >= 0 && (size_t)f < nn && lit[f];
        int64_t tid = th >= 0 && (size_t)th < ntids && tids[th] >= 0 ? tids[th] : th;
        fputs(",\n{\"ph\":\"X\",\"name\":", out);
        fputs(known ? lit[f] : "\"?\"", out);
        fprintf(out, ",\"cat\":\"%s\",\"ts\":", known && cat[f] ? cat[f] : "function");
        us(out, start);
        fputs(",\"dur\":", out);
        us(out, dur);
        fprintf(out, ",\"pid\":%lld,\"tid\":%lld%s}", (long long)pid, (long long)tid,
                unfinished ? ",\"args\":{\"unfinished\":true}" : "");
    }
    fputs("\n]}\n", out);
    if (st && rc != SQLITE_DONE)
        ret = cli_sql_error(db, table);
    sqlite3_finalize(st);
    for (size_t i = 0; i < nn; i++) {
        free(lit[i]);
        free(cat[i]);
    }
    free(lit);
    free(cat);
    free(tids);
    free(program);
    cli_free_names(names, nn);
    return ret;
}

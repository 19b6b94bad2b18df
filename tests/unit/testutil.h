/* testutil.h — helpers shared by the unit tests: temporary directories, SQL queries, event streams. */
#ifndef CTIMER_TESTUTIL_H
#define CTIMER_TESTUTIL_H

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema.h"
#include "stream.h"

static char tu_dirs_made[8][256];
static int tu_ndirs;
static pid_t tu_dir_owner;

static inline int tu_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st, (void)type, (void)ftw;
    return remove(path);
}

/* Removes the test's directory when the process that made it exits (each Check test is its own
 * process).  Children forked by a test inherit this handler but leave the directory alone: the test
 * reads their database after they exit. */
static inline void tu_tmpdir_cleanup(void)
{
    if (getpid() != tu_dir_owner)
        return;
    for (int i = 0; i < tu_ndirs; i++)
        nftw(tu_dirs_made[i], tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory under $TMPDIR (or /tmp), removed when this test's process exits. */
static inline const char *tu_tmpdir(void)
{
    static char dir[256];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ctimer-unit-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    if (tu_dir_owner != getpid()) { /* first directory of this test's process */
        tu_ndirs = 0;
        atexit(tu_tmpdir_cleanup);
        tu_dir_owner = getpid();
    }
    if (tu_ndirs < 8)
        snprintf(tu_dirs_made[tu_ndirs++], sizeof tu_dirs_made[0], "%s", dir);
    return dir;
}

/* DIR/stderr.txt, where a test captured stderr, as a string (static buffer). */
static inline const char *tu_captured_stderr(const char *dir)
{
    static char buf[8192];
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    return buf;
}

static inline sqlite3 *tu_open(const char *path)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* The first column of the first row as an integer (-999999 if there is no row, NULL -> -1). */
static inline int64_t tu_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        ck_abort_msg("SQL error %s in: %s", sqlite3_errmsg(db), sql);
    int64_t v = -999999;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static inline double tu_real(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        ck_abort_msg("SQL error %s in: %s", sqlite3_errmsg(db), sql);
    double v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text in a static buffer ("<null>" / "<none>"). */
static inline const char *tu_text(sqlite3 *db, const char *sql)
{
    static char buf[1024];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        ck_abort_msg("SQL error %s in: %s", sqlite3_errmsg(db), sql);
    snprintf(buf, sizeof buf, "<none>");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "<null>");
    }
    sqlite3_finalize(st);
    return buf;
}

/* printf-style wrappers */
static inline __attribute__((format(printf, 2, 3))) int64_t tu_intf(sqlite3 *db, const char *fmt, ...)
{
    char q[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return tu_int(db, q);
}

static inline __attribute__((format(printf, 2, 3))) const char *tu_textf(sqlite3 *db, const char *fmt, ...)
{
    char q[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return tu_text(db, q);
}

/*
 * Creates the temporary view "<t>_abs": a run's rows with the values the writer decoded, undoing the
 * physical layout (depth and start are stored relative to the call's id block, whose row in
 * "<t>_blocks" also holds the thread): id, parent (id - parent id, 0 for a root), thread (index),
 * depth, func, start, dur, child.
 */
static inline void tu_abs_view(sqlite3 *db, const char *t)
{
    char q[1024];
    snprintf(q, sizeof q,
             "CREATE TEMP VIEW IF NOT EXISTS \"%s_abs\" AS SELECT c.id AS id, c.parent AS parent, b.thread AS thread,"
             " b.depth + c.depth AS depth, c.func AS func, b.start + c.start AS start, c.dur AS dur, c.child AS child"
             " FROM \"%s\" c LEFT JOIN \"%s_blocks\" b ON b.id = c.id >> %d",
             t, t, t, CTIMER_ID_BLOCK_BITS);
    char *err = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
        ck_abort_msg("SQL error %s in: %s", err, q);
}

/*
 * Asserts child = sum of the direct children's durations for every row of a run table.  Per parent
 * with children (a join SQLite can index: parent id = id - parent), plus the grand totals, which
 * together force child = 0 on rows without children.
 */
static inline void tu_check_child_sums(sqlite3 *db, const char *t)
{
    ck_assert_int_eq(tu_intf(db, "WITH k AS (SELECT id - parent AS pid, sum(dur) AS s FROM \"%s\" WHERE parent != 0 "
                                 "GROUP BY pid) SELECT count(*) FROM k JOIN \"%s\" p ON p.id = k.pid WHERE p.child != k.s",
                             t, t), 0);
    ck_assert_int_eq(tu_intf(db, "SELECT coalesce((SELECT sum(child) FROM \"%s\"), 0) = coalesce((SELECT sum(dur) "
                                 "FROM \"%s\" WHERE parent != 0), 0)", t, t), 1);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s\" WHERE child < 0 OR dur < child", t), 0);
}

/* A synthetic event stream. */
struct tu_stream {
    uint64_t w[1 << 16];
    size_t n;
};

static inline void tu_enter(struct tu_stream *s, const void *desc, uint64_t ts, uint64_t sp)
{
    s->w[s->n++] = (uint64_t)(uintptr_t)desc;
    s->w[s->n++] = ts;
    s->w[s->n++] = sp;
}

static inline void tu_exit(struct tu_stream *s, uint64_t t0, uint64_t ts)
{
    s->w[s->n++] = t0 | CTIMER_EXIT_BIT;
    s->w[s->n++] = ts;
}

static inline void tu_mark(struct tu_stream *s, uint64_t mark, uint64_t arg)
{
    s->w[s->n++] = mark;
    s->w[s->n++] = arg;
}

/* Redirects fd 2 to a file; tu_stderr_end restores it and returns what was written. */
static inline int tu_stderr_begin(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    close(fd);
    return saved;
}

static inline const char *tu_stderr_end(const char *dir, int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    return tu_captured_stderr(dir);
}

static inline int tu_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static inline int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif

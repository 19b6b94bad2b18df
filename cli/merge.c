/*
 * merge.c — `ctimer merge OUT.db IN.db...`: copies every run of each IN into OUT (created if
 * missing) through ATTACH: its runs row (host, program and the rest kept; a new id), its tables,
 * indexes and views.  A run whose name is taken in OUT becomes NAME_2, NAME_3, ...
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "sqltext.h"

static const char USAGE[] =
    "usage: ctimer merge OUT.db IN.db...\n"
    "Copies every run of each IN.db into OUT.db (created if missing; its runs are kept).  A run whose\n"
    "name is already used in OUT.db is renamed NAME_2, NAME_3, ...; each line printed says\n"
    "'IN.db:RUN -> OUT.db:NEW'.  The runs row is copied with all its columns (host, program, ...).\n"
    "The IN databases are only read.  Each IN.db is copied in one transaction: on an error, what\n"
    "that file would have added is rolled back and the command stops (exit 1).\n";

/* Every object a run may own, by suffix (tables first: they are copied before indexes and views). */
static const char *const SUFFIXES[] = {CTIMER_RUN_SUFFIXES};
#define NSUFFIXES (sizeof SUFFIXES / sizeof *SUFFIXES)

static int exec(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    cli_error("merge: %s (in: %.200s)", sqlite3_errmsg(db), sql);
    return -1;
}

/* 1 if schema has an object with this exact name. */
static int has_object(sqlite3 *db, const char *schema, const char *name)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\".sqlite_master WHERE name = ?1", schema);
    sqlite3_stmt *st = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return has;
}

static int name_free(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    int used = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.runs WHERE table_name = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        used = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < NSUFFIXES && !used; i++) {
        char full[256];
        snprintf(full, sizeof full, "%s%s", name, SUFFIXES[i]);
        used = has_object(db, "main", full);
    }
    return !used;
}

/* sql with "OLD" -> "NEW" and "OLD_ -> "NEW_ (the runtime always quotes a run's names). */
static char *rename_sql(const char *sql, const char *old, const char *new)
{
    size_t ol = strlen(old), nl = strlen(new), cap = strlen(sql) * 2 + 64 + nl * 16, o = 0;
    char *out = xmalloc(cap);
    for (const char *p = sql; *p;) {
        if (p[0] == '"' && strncmp(p + 1, old, ol) == 0 && (p[1 + ol] == '"' || p[1 + ol] == '_')) {
            if (o + nl + 2 >= cap)
                out = xrealloc(out, cap *= 2);
            out[o++] = '"';
            memcpy(out + o, new, nl);
            o += nl;
            p += 1 + ol;
            continue;
        }
        if (o + 2 >= cap)
            out = xrealloc(out, cap *= 2);
        out[o++] = *p++;
    }
    out[o] = 0;
    return out;
}

/* Adds to main.runs the columns src.runs has and it lacks; creates it from src's if missing. */
static int align_runs(sqlite3 *db)
{
    if (!has_object(db, "main", "runs")) {
        sqlite3_stmt *st = NULL;
        int rc = -1;
        if (sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_master WHERE name = 'runs'", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            rc = exec(db, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.name, s.type FROM pragma_table_info('runs', 'src') s WHERE s.name NOT IN"
                           " (SELECT name FROM pragma_table_info('runs', 'main'))",
                           -1, &st, NULL) != SQLITE_OK)
        return cli_error("merge: %s", sqlite3_errmsg(db)), -1;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        char sql[300];
        snprintf(sql, sizeof sql, "ALTER TABLE main.runs ADD COLUMN \"%s\" %s", sqlite3_column_text(st, 0),
                 sqlite3_column_text(st, 1));
        rc = exec(db, sql);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Copies the run old of src into main as new: its objects, then its runs row. */
static int copy_run(sqlite3 *db, int64_t src_id, const char *old, const char *new)
{
    /* tables, then indexes, then views, in SUFFIXES order */
    static const char *const types[] = {"table", "index", "view"};
    for (int ty = 0; ty < 3; ty++) {
        for (size_t i = 0; i < NSUFFIXES; i++) {
            char oname[256], nname[256];
            snprintf(oname, sizeof oname, "%s%s", old, SUFFIXES[i]);
            snprintf(nname, sizeof nname, "%s%s", new, SUFFIXES[i]);
            sqlite3_stmt *st = NULL;
            char *ddl = NULL;
            if (sqlite3_prepare_v2(db, "SELECT sql FROM src.sqlite_master WHERE name = ?1 AND type = ?2"
                                       " AND sql IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
                return cli_error("merge: %s", sqlite3_errmsg(db)), -1;
            sqlite3_bind_text(st, 1, oname, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, types[ty], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                ddl = rename_sql((const char *)sqlite3_column_text(st, 0), old, new);
            sqlite3_finalize(st);
            if (!ddl)
                continue;
            int rc = exec(db, ddl);
            free(ddl);
            if (rc)
                return -1;
            if (ty == 0) {
                char sql[600];
                snprintf(sql, sizeof sql, "INSERT INTO main.\"%s\" SELECT * FROM src.\"%s\"", nname, oname);
                if (exec(db, sql))
                    return -1;
            }
        }
    }
    /* the runs row: every column main.runs has that src.runs has too, table_name replaced */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT group_concat('\"' || name || '\"', ','), group_concat(CASE WHEN name ="
                           " 'table_name' THEN '?1' ELSE '\"' || name || '\"' END, ',') FROM"
                           " pragma_table_info('runs', 'src') WHERE name != 'id' AND name IN"
                           " (SELECT name FROM pragma_table_info('runs', 'main'))",
                           -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return cli_error("merge: %s", sqlite3_errmsg(db)), -1;
    }
    char *sql = sqlite3_mprintf("INSERT INTO main.runs(%s) SELECT %s FROM src.runs WHERE id = ?2",
                                sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, new, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, src_id);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return cli_error("merge: %s", sqlite3_errmsg(db)), -1;
    return 0;
}

static int merge_one(sqlite3 *db, const char *out_path, const char *in_path)
{
    if (cli_attach(db, in_path, "src"))
        return -1;
    int rc = exec(db, "BEGIN IMMEDIATE");
    if (rc == 0)
        rc = align_runs(db);
    sqlite3_stmt *st = NULL;
    if (rc == 0 && sqlite3_prepare_v2(db, "SELECT id, table_name FROM src.runs ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        rc = (cli_error("merge: %s", sqlite3_errmsg(db)), -1);
    /* names first (the statement must finish before the copies change main) */
    int64_t *ids = NULL;
    char **names = NULL;
    size_t n = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        ids = xrealloc(ids, (n + 1) * sizeof *ids);
        names = xrealloc(names, (n + 1) * sizeof *names);
        ids[n] = sqlite3_column_int64(st, 0);
        names[n++] = xstrdup((const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char new[256];
        snprintf(new, sizeof new, "%s", names[i]);
        for (int k = 2; !name_free(db, new); k++)
            snprintf(new, sizeof new, "%s_%d", names[i], k);
        rc = copy_run(db, ids[i], names[i], new);
        if (rc == 0)
            printf("%s:%s -> %s:%s\n", in_path, names[i], out_path, new);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(ids);
    if (rc == 0)
        rc = exec(db, "COMMIT");
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(db, "DETACH src", NULL, NULL, NULL); /* not allowed inside a transaction */
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    if (cli_wants_help(argc, argv, USAGE))
        return 0;
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("merge: unknown option '%s' (see ctimer merge --help)", argv[i]);
            return EXIT_USAGE;
        }
    if (argc < 3) {
        cli_error("merge: expected OUT.db and at least one IN.db");
        return EXIT_USAGE;
    }
    const char *out = argv[1];
    struct stat so;
    int out_exists = stat(out, &so) == 0;
    for (int i = 2; i < argc; i++) {
        struct stat si;
        if (out_exists && stat(argv[i], &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            cli_error("merge: '%s' is the output database; it cannot also be an input", argv[i]);
            return EXIT_USAGE;
        }
        sqlite3 *in = cli_open(argv[i]);
        if (!in)
            return EXIT_USAGE;
        int ok = cli_has_column(in, "main", "runs", "table_name");
        sqlite3_close(in);
        if (!ok) {
            cli_error("merge: '%s' has no runs table: not a ctimer database", argv[i]);
            return EXIT_USAGE;
        }
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(out, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        cli_error("merge: cannot open '%s': %s", out, sqlite3_errmsg(db));
        sqlite3_close(db);
        return EXIT_USAGE;
    }
    sqlite3_busy_timeout(db, 10000);
    if (!out_exists) /* as the runtime makes a new file: 16 KiB pages, WAL */
        sqlite3_exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    int rc = 0;
    for (int i = 2; rc == 0 && i < argc; i++)
        rc = merge_one(db, out, argv[i]);
    sqlite3_close(db);
    return rc == 0 ? 0 : 1;
}

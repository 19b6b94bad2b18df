/* db.c — opening a database read-only, finding a run in it, and the SQL helpers the commands share. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sqltext.h"

const char *cli_default_db(void)
{
    const char *e = getenv("CTIMER_DB");
    return e && *e ? e : "ctimer.db";
}

int cli_looks_like_db(const char *arg)
{
    size_t n = strlen(arg);
    struct stat st;
    return stat(arg, &st) == 0 || strchr(arg, '/') || (n > 3 && strcmp(arg + n - 3, ".db") == 0);
}

sqlite3 *cli_open(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        cli_error("no database '%s'%s", path,
                  strcmp(path, cli_default_db()) == 0 ? " (give its path, or set CTIMER_DB)" : "");
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_error("'%s' is a directory, not a database", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        cli_error("cannot read '%s': %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
}

int cli_sql_error(sqlite3 *db, const char *what)
{
    cli_error("%s: %s", what, sqlite3_errmsg(db));
    return 1;
}


sqlite3_stmt *cli_prepare(sqlite3 *db, const char *tmpl, const char *table)
{
    char *sql = ctimer_sql_subst(tmpl, table ? table : "", xmalloc);
    sqlite3_stmt *st = NULL;
    if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        cli_error("cannot query %s: %s", table ? table : "the database", sqlite3_errmsg(db));
        st = NULL;
    }
    free(sql);
    return st;
}

int cli_has_column(sqlite3 *db, const char *schema, const char *table, const char *column)
{
    sqlite3_stmt *st = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1, ?2) WHERE name = ?3", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, column, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return has;
}

/* The run names in schema.runs, comma-separated, shortened past ~10 names (malloc'd). */
static char *run_list(sqlite3 *db, const char *schema)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT table_name FROM \"%s\".runs ORDER BY id", schema);
    sqlite3_stmt *st = NULL;
    size_t cap = 256, len = 0;
    char *out = xcalloc(1, cap);
    int n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 0);
            if (!name)
                continue;
            if (++n > 10) {
                len += (size_t)snprintf(out + len, cap - len, ", ...");
                break;
            }
            size_t need = len + strlen(name) + 8;
            if (need > cap) {
                cap = need * 2;
                out = xrealloc(out, cap);
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%s", n > 1 ? ", " : "", name);
        }
    }
    sqlite3_finalize(st);
    if (n == 0)
        snprintf(out, cap, "none");
    return out;
}

sqlite3 *cli_open_run(const char *path, const char *wanted, char *out, size_t outlen)
{
    sqlite3 *db = cli_open(path);
    if (db && cli_resolve_run(db, "main", path, wanted, out, outlen)) {
        sqlite3_close(db);
        db = NULL;
    }
    return db;
}

int cli_resolve_run(sqlite3 *db, const char *schema, const char *path, const char *wanted, char *out,
                    size_t outlen)
{
    if (!cli_has_column(db, schema, "runs", "table_name")) {
        cli_error("'%s' has no runs table: not a ctimer database", path);
        return -1;
    }
    char sql[160];
    if (wanted)
        snprintf(sql, sizeof sql, "SELECT table_name FROM \"%s\".runs WHERE table_name = ?1", schema);
    else
        snprintf(sql, sizeof sql, "SELECT table_name FROM \"%s\".runs ORDER BY id DESC LIMIT 1", schema);
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return cli_sql_error(db, path), -1;
    if (wanted)
        sqlite3_bind_text(st, 1, wanted, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
        found = 1;
    }
    sqlite3_finalize(st);
    if (found && !cli_has_column(db, schema, out, "id")) {
        cli_error("run '%s' is in runs but its table is missing from '%s'", out, path);
        return -1;
    }
    if (!found) {
        char *list = run_list(db, schema);
        if (wanted)
            cli_error("no run '%s' in '%s' (runs: %s)", wanted, path, list);
        else
            cli_error("no runs in '%s'", path);
        free(list);
        return -1;
    }
    return 0;
}

void cli_run_mode(sqlite3 *db, const char *table, char *mode, size_t modelen, int64_t *min_ns)
{
    snprintf(mode, modelen, "%s", "");
    *min_ns = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT mode, min_ns FROM runs WHERE table_name = ?1", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            snprintf(mode, modelen, "%s", (const char *)sqlite3_column_text(st, 0));
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            *min_ns = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
}

char **cli_function_names(sqlite3 *db, const char *table, size_t *n)
{
    *n = 0;
    sqlite3_stmt *st = cli_prepare(db,
                                   "SELECT id, CASE WHEN kind = 'method' THEN struct || '.' || name ELSE name END"
                                   " FROM \"%1$s_functions\" ORDER BY id",
                                   table);
    if (!st)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (id < 0 || id > 100000000)
            continue;
        if ((size_t)id >= cap) {
            size_t nc = cap ? cap : 64;
            while (nc <= (size_t)id)
                nc *= 2;
            names = xrealloc(names, nc * sizeof *names);
            memset(names + cap, 0, (nc - cap) * sizeof *names);
            cap = nc;
        }
        const char *t = (const char *)sqlite3_column_text(st, 1);
        names[id] = xstrdup(t ? t : "?");
        if ((size_t)id + 1 > *n)
            *n = (size_t)id + 1;
    }
    sqlite3_finalize(st);
    if (!names)
        names = xcalloc(1, sizeof *names);
    return names;
}

void cli_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ATTACH path read-only as `name`, as a URI (so mode=ro holds): path percent-encoded. */
int cli_attach(sqlite3 *db, const char *path, const char *name)
{
    char uri[4096 * 3 + 32];
    size_t o = (size_t)snprintf(uri, sizeof uri, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < sizeof uri - 16; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f)
            o += (size_t)snprintf(uri + o, sizeof uri - o, "%%%02X", *p);
        else
            uri[o++] = (char)*p;
    }
    snprintf(uri + o, sizeof uri - o, "?mode=ro");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS ?2", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        cli_error("cannot read '%s': %s", path, sqlite3_errmsg(db));
    return rc == SQLITE_OK ? 0 : -1;
}


/*
 * test_runtime.c — the whole runtime in a real process: hot path, slow path, writer thread, exit,
 * fork, flush, configuration errors.  Each workload runs in a child process (the runtime starts
 * there, on its first call, and shuts down when the child exits); the test then reads the database.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "ctimer.h"
#include "testutil.h"

static struct ctimer_desc descs[] = {
    {"outer", NULL, "rt.c", NULL, 1, CTIMER_KIND_FUNCTION, CTIMER_ABI_VERSION, 0, 0},
    {"mid", NULL, "rt.c", NULL, 2, CTIMER_KIND_FUNCTION, CTIMER_ABI_VERSION, 0, 0},
    {"leaf", NULL, "rt.c", NULL, 3, CTIMER_KIND_FUNCTION, CTIMER_ABI_VERSION, 0, 0},
    {"never", NULL, "rt.c", NULL, 4, CTIMER_KIND_FUNCTION, CTIMER_ABI_VERSION, 0, 0},
};
#define OUTER (&descs[0])
#define MID (&descs[1])
#define LEAF (&descs[2])

static char dir[256], dbpath[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir());
    snprintf(dbpath, sizeof dbpath, "%s/rt.db", dir);
}

/* Runs body in a child with the given environment (NULL-terminated name, value pairs) and returns its
 * exit status (or 128 + signal).  stderr of the child goes to <dir>/stderr.txt when capture is set. */
static int run_child(void (*body)(void), const char *const *env, int capture)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (capture) {
            char p[600];
            snprintf(p, sizeof p, "%s/stderr.txt", dir);
            int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 2);
            close(fd);
        }
        setenv("CTIMER_DB", dbpath, 1);
        setenv("CTIMER_MIN_NS", "0", 1); /* every call a row, unless the test says otherwise */
        for (int i = 0; env && env[i]; i += 2)
            setenv(env[i], env[i + 1], 1);
        __ctimer_register(descs, descs + sizeof descs / sizeof *descs);
        body();
        exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *child_stderr(void) { return tu_captured_stderr(dir); }

/* outer { mid { leaf } leaf } : 4 calls */
static void tree(void)
{
    uint64_t a = __ctimer_enter(OUTER);
    uint64_t b = __ctimer_enter(MID);
    uint64_t c = __ctimer_enter(LEAF);
    __ctimer_exit(c);
    __ctimer_exit(b);
    c = __ctimer_enter(LEAF);
    __ctimer_exit(c);
    __ctimer_exit(a);
}

#define TREES_PER_THREAD 5000

static void *tree_thread(void *arg)
{
    pthread_setname_np(pthread_self(), (const char *)arg);
    for (int i = 0; i < TREES_PER_THREAD; i++)
        tree();
    return NULL;
}

static void body_threads(void)
{
    uint64_t t = __ctimer_enter(OUTER);
    if (!t)
        exit(3);
    pthread_t th[4];
    static const char *names[4] = {"w0", "w1", "w2", "w3"};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, tree_thread, (void *)names[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    __ctimer_exit(t);
}

START_TEST(four_threads_exact_rows)
{
    ck_assert_int_eq(run_child(body_threads, NULL, 0), 0);
    sqlite3 *db = tu_open(dbpath);
    const char *t = tu_text(db, "SELECT table_name FROM runs");
    char table[96];
    snprintf(table, sizeof table, "%.90s", t);
    int64_t expect = 4 * TREES_PER_THREAD * 4 + 1;
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s\"", table), expect);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished||':'||rows FROM runs"),
                     "80001:0:0:80001");
    ck_assert_int_eq(tu_int(db, "SELECT ended_at IS NOT NULL AND ticks_per_us > 0 FROM runs"), 1);
    /* parent/depth/self consistency */
    tu_abs_view(db, table);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_abs\" c JOIN \"%s_abs\" p ON p.id = c.id - c.parent "
                                 "WHERE c.parent != 0 AND (p.thread != c.thread OR p.depth + 1 != c.depth)", table, table),
                     0);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s\" c WHERE c.parent != 0 AND NOT EXISTS (SELECT 1 FROM "
                                 "\"%s\" p WHERE p.id = c.id - c.parent)", table, table), 0);
    tu_check_child_sums(db, table);
    /* summary exact */
    ck_assert_int_eq(tu_intf(db, "SELECT calls FROM \"%s_summary\" WHERE function='leaf'", table),
                     4 * 2 * TREES_PER_THREAD);
    ck_assert_int_eq(tu_intf(db, "SELECT calls FROM \"%s_summary\" WHERE function='outer'", table),
                     4 * TREES_PER_THREAD + 1);
    ck_assert_int_eq(tu_intf(db, "SELECT threads FROM \"%s_summary\" WHERE function='outer'", table), 5);
    ck_assert_int_eq(tu_intf(db, "SELECT calls FROM \"%s_summary\" WHERE function='never'", table), 0);
    /* per-thread structure: the worker's outermost calls are roots at depth 0 */
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_calls\" WHERE parent_id IS NULL", table),
                     4 * TREES_PER_THREAD + 1);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_threads\"", table), 5);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_threads\" WHERE name IN ('w0','w1','w2','w3')", table), 4);
    ck_assert_int_eq(tu_intf(db, "SELECT sum(total_ns) = (SELECT sum(dur) FROM \"%s\") FROM \"%s_edges\"", table, table),
                     1);
    sqlite3_close(db);
}
END_TEST

static void body_exit7(void)
{
    tree();
    exit(7);
}

START_TEST(exit_code_is_unchanged)
{
    ck_assert_int_eq(run_child(body_exit7, NULL, 1), 7);
    ck_assert_str_eq(child_stderr(), "");
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT calls FROM runs"), 4);
    sqlite3_close(db);
}
END_TEST

static void body_off(void)
{
    if (__ctimer_enter(OUTER) != 0)
        exit(3);
    __ctimer_exit(0);
    if (ctimer_run_table() != NULL)
        exit(4);
    ctimer_flush();
    tree();
    exit(5);
}

START_TEST(off_records_nothing)
{
    static const char *const env[] = {"CTIMER_OFF", "1", NULL};
    ck_assert_int_eq(run_child(body_off, env, 1), 5);
    ck_assert_str_eq(child_stderr(), "");
    struct stat st;
    ck_assert_int_ne(stat(dbpath, &st), 0); /* no database created at all */
}
END_TEST

static void body_bad_db(void)
{
    if (__ctimer_enter(OUTER) != 0)
        exit(3);
    tree();
    exit(6);
}

START_TEST(unusable_database_prints_one_line_and_runs_on)
{
    static const char *const env[] = {"CTIMER_DB", "/nonexistent-ctimer-dir/x.db", NULL};
    ck_assert_int_eq(run_child(body_bad_db, env, 1), 6);
    const char *err = child_stderr();
    ck_assert_int_eq(tu_count_lines(err), 1);
    ck_assert_str_eq(err, "ctimer: cannot use CTIMER_DB='/nonexistent-ctimer-dir/x.db': unable to open database "
                          "file; not recording\n");
}
END_TEST

static void body_tree(void) { tree(); }

START_TEST(bad_variable_prints_one_line_and_records)
{
    static const char *const env[] = {"CTIMER_BATCH", "abc", NULL};
    ck_assert_int_eq(run_child(body_tree, env, 1), 0);
    ck_assert_str_eq(child_stderr(), "ctimer: CTIMER_BATCH='abc' is not an integer in 1..10000000; using 65536\n");
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT rows FROM runs"), 4);
    sqlite3_close(db);
}
END_TEST

START_TEST(run_name_is_reserved)
{
    static const char *const env[] = {"CTIMER_RUN", "myrun", "CTIMER_APP_ID", "unit", NULL};
    ck_assert_int_eq(run_child(body_tree, env, 1), 0);
    ck_assert_str_eq(child_stderr(), "");
    ck_assert_int_eq(run_child(body_tree, env, 1), 0);
    const char *err = child_stderr();
    ck_assert_int_eq(tu_count_lines(err), 1);
    ck_assert_msg(strncmp(err, "ctimer: CTIMER_RUN='myrun' is already in runs; using run_", 57) == 0, "%s", err);
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM runs WHERE app_id='unit'"), 2);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM myrun"), 4);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM runs WHERE table_name LIKE 'run________________%' AND "
                                "program='test_runtime' AND argv LIKE '%test_runtime%' AND pid > 0 AND "
                                "started_at LIKE '____-__-__T__:__:__.___Z' AND mode='trace' AND abi=1"), 1);
    sqlite3_close(db);
}
END_TEST

static void body_flush(void)
{
    for (int i = 0; i < 100; i++)
        tree();
    ctimer_flush();
    /* everything so far is committed: read it back from this very process */
    sqlite3 *db = NULL;
    if (sqlite3_open(getenv("CTIMER_DB"), &db) != SQLITE_OK)
        exit(10);
    char q[256];
    snprintf(q, sizeof q, "SELECT (SELECT count(*) FROM \"%s\") * 1000 + (SELECT calls FROM \"%s_summary\" WHERE "
                          "function='leaf')", ctimer_run_table(), ctimer_run_table());
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        exit(11);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    exit(v == 400 * 1000 + 200 ? 0 : 12);
}

START_TEST(flush_commits_everything_so_far)
{
    ck_assert_int_eq(run_child(body_flush, NULL, 0), 0);
}
END_TEST

static _Atomic int spin_forever = 1;

static void *live_thread(void *arg)
{
    pthread_setname_np(pthread_self(), "liveone");
    uint64_t t = __ctimer_enter(OUTER);
    for (int i = 0; i < 100; i++)
        __ctimer_exit(__ctimer_enter(LEAF));
    atomic_store((_Atomic int *)arg, 1);
    while (spin_forever)
        usleep(1000);
    __ctimer_exit(t);
    return NULL;
}

static void body_live_thread(void)
{
    static _Atomic int ready;
    pthread_t th;
    pthread_create(&th, NULL, live_thread, (void *)&ready);
    while (!atomic_load(&ready))
        usleep(1000);
    uint64_t t = __ctimer_enter(MID);
    (void)t; /* main returns with mid still open */
}

START_TEST(live_threads_at_exit_are_captured)
{
    ck_assert_int_eq(run_child(body_live_thread, NULL, 0), 0);
    sqlite3 *db = tu_open(dbpath);
    char table[96];
    snprintf(table, sizeof table, "%.90s", tu_text(db, "SELECT table_name FROM runs"));
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished||':'||rows FROM runs"), "102:2:102");
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_calls\" WHERE function='leaf' AND depth=1", table), 100);
    ck_assert_str_eq(tu_textf(db, "SELECT group_concat(function) FROM (SELECT function FROM \"%s_calls\" WHERE "
                                  "unfinished ORDER BY function)", table), "mid,outer");
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_threads\" WHERE name='liveone'", table), 1);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_open\"", table), 2);
    sqlite3_close(db);
}
END_TEST

static void body_fork(void)
{
    uint64_t a = __ctimer_enter(OUTER);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 10; i++)
            __ctimer_exit(__ctimer_enter(LEAF));
        __ctimer_exit(a); /* entered in the parent's run: not part of the child's */
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    __ctimer_exit(__ctimer_enter(MID));
    __ctimer_exit(a);
    FILE *f = fopen(getenv("CHILD_PID_FILE"), "w");
    fprintf(f, "%d", (int)pid);
    fclose(f);
    exit(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
}

START_TEST(fork_child_gets_its_own_run)
{
    char pidfile[600];
    snprintf(pidfile, sizeof pidfile, "%s/child.pid", dir);
    const char *env[] = {"CTIMER_RUN", "fk", "CHILD_PID_FILE", pidfile, NULL};
    ck_assert_int_eq(run_child(body_fork, env, 0), 0);
    FILE *f = fopen(pidfile, "r");
    int child = 0;
    ck_assert_int_eq(fscanf(f, "%d", &child), 1);
    fclose(f);
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM runs"), 2);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished FROM runs WHERE table_name='fk'"),
                     "2:0:0");
    ck_assert_str_eq(tu_textf(db, "SELECT calls||':'||dropped||':'||unfinished||':'||pid FROM runs WHERE "
                                  "table_name='fk_%d'", child),
                     tu_textf(db, "SELECT '10:0:0:%d'", child));
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM fk_%d_calls WHERE function='leaf'", child), 10);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM fk_calls WHERE function='leaf'"), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM fk_functions"), 4);
    sqlite3_close(db);
}
END_TEST

#define PRESSURE_CALLS 3000000

static void body_pressure(void)
{
    for (int i = 0; i < PRESSURE_CALLS; i++)
        __ctimer_exit(__ctimer_enter(LEAF));
}

START_TEST(block_mode_is_lossless_with_tiny_buffers)
{
    static const char *const env[] = {"CTIMER_BUFFER_KB", "128", "CTIMER_MODE", "summary", NULL};
    ck_assert_int_eq(run_child(body_pressure, env, 0), 0);
    sqlite3 *db = tu_open(dbpath);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished||':'||rows FROM runs"), "3000000:0:0:0");
    sqlite3_close(db);
}
END_TEST

/* Drop mode: the writer is held up by a write lock another connection holds, so the producer must
 * discard; every call is still accounted for exactly once. */
static int to_parent[2], to_child[2];

static void body_drop(void)
{
    char c;
    if (!ctimer_run_table())
        exit(20);
    ctimer_flush(); /* the function rows are committed before the lock is taken */
    if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
        exit(21);
    for (int i = 0; i < PRESSURE_CALLS; i++)
        __ctimer_exit(__ctimer_enter(LEAF));
    if (write(to_parent[1], "d", 1) != 1)
        exit(22);
}

static void *drop_driver(void *arg)
{
    (void)arg;
    char c;
    if (read(to_parent[0], &c, 1) != 1)
        return NULL;
    sqlite3 *db = tu_open(dbpath);
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (write(to_child[1], "g", 1) != 1)
        return NULL;
    if (read(to_parent[0], &c, 1) != 1)
        return NULL;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

START_TEST(drop_mode_accounts_for_every_call)
{
    static const char *const env[] = {"CTIMER_BUFFER_KB", "128", "CTIMER_ON_FULL", "drop", "CTIMER_BATCH", "1000",
                                      "CTIMER_BUSY_MS", "60000", NULL};
    ck_assert_int_eq(pipe(to_parent), 0);
    ck_assert_int_eq(pipe(to_child), 0);
    pthread_t th;
    pthread_create(&th, NULL, drop_driver, NULL);
    ck_assert_int_eq(run_child(body_drop, env, 0), 0);
    pthread_join(th, NULL);
    sqlite3 *db = tu_open(dbpath);
    int64_t calls = tu_int(db, "SELECT calls FROM runs"), dropped = tu_int(db, "SELECT dropped FROM runs"),
            unfinished = tu_int(db, "SELECT unfinished FROM runs"), rows = tu_int(db, "SELECT rows FROM runs");
    ck_assert_msg(dropped > 0, "dropped %lld", (long long)dropped);
    ck_assert_int_eq(calls + dropped + unfinished, PRESSURE_CALLS);
    ck_assert_int_eq(rows, calls + unfinished);
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s\"", tu_text(db, "SELECT table_name FROM runs")), rows);
    sqlite3_close(db);
}
END_TEST

/* fork() must not wait for a database another process keeps locked (the writer does not hold db_mu
 * while it waits for the lock). */
static void *flusher(void *arg)
{
    (void)arg;
    ctimer_flush(); /* blocks until the lock is released */
    return NULL;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void body_fork_locked(void)
{
    char c;
    if (!ctimer_run_table())
        exit(20);
    ctimer_flush();
    if (write(to_parent[1], "r", 1) != 1 || read(to_child[0], &c, 1) != 1)
        exit(21);
    tree();
    pthread_t th;
    pthread_create(&th, NULL, flusher, NULL);
    usleep(300000); /* the writer is now retrying BEGIN IMMEDIATE */
    double t0 = mono_s();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    double took = mono_s() - t0;
    waitpid(pid, NULL, 0);
    if (write(to_parent[1], "d", 1) != 1)
        exit(22);
    pthread_join(th, NULL);
    exit(took < 1.0 ? 0 : 40);
}

START_TEST(fork_is_not_held_up_by_a_locked_database)
{
    static const char *const env[] = {"CTIMER_BUSY_MS", "60000", NULL};
    ck_assert_int_eq(pipe(to_parent), 0);
    ck_assert_int_eq(pipe(to_child), 0);
    pthread_t th;
    pthread_create(&th, NULL, drop_driver, NULL); /* holds the write lock between "r" and "d" */
    ck_assert_int_eq(run_child(body_fork_locked, env, 0), 0);
    pthread_join(th, NULL);
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT rows FROM runs"), 4);
    sqlite3_close(db);
}
END_TEST

static void early_handler(void)
{
    /* registered before the runtime started: shutdown is a destructor, which exit() runs after
     * every atexit handler, so these calls are still recorded */
    tree();
}

static void body_atexit_recorded(void)
{
    atexit(early_handler);
    tree();
}

START_TEST(calls_in_atexit_handlers_are_recorded)
{
    ck_assert_int_eq(run_child(body_atexit_recorded, NULL, 1), 0);
    ck_assert_str_eq(child_stderr(), "");
    sqlite3 *db = tu_open(dbpath);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||rows FROM runs"), "8:0:8");
    sqlite3_close(db);
}
END_TEST

static void body_run_table(void)
{
    const char *t = ctimer_run_table(); /* starts the run before any instrumented call */
    if (!t || strcmp(t, "named_run") != 0)
        exit(30);
    tree();
    if (ctimer_run_table() != t)
        exit(31);
}

START_TEST(run_table_names_the_run)
{
    static const char *const env[] = {"CTIMER_RUN", "named_run", NULL};
    ck_assert_int_eq(run_child(body_run_table, env, 0), 0);
    sqlite3 *db = tu_open(dbpath);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM named_run"), 4);
    sqlite3_close(db);
}
END_TEST

static void *short_thread(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "shorty");
    uint64_t t = __ctimer_enter(OUTER);
    __ctimer_exit(__ctimer_enter(LEAF));
    (void)t;
    return NULL; /* outer never exits: unfinished, ended by the thread's end */
}

static void body_thread_exit(void)
{
    for (int i = 0; i < 20; i++) {
        pthread_t th;
        pthread_create(&th, NULL, short_thread, NULL);
        pthread_join(th, NULL);
    }
    ctimer_flush();
    usleep(50000); /* let the writer retire the finished threads */
}

START_TEST(thread_exit_flushes_and_names)
{
    ck_assert_int_eq(run_child(body_thread_exit, NULL, 0), 0);
    sqlite3 *db = tu_open(dbpath);
    char table[96];
    snprintf(table, sizeof table, "%.90s", tu_text(db, "SELECT table_name FROM runs"));
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished||':'||rows FROM runs"), "40:20:40");
    ck_assert_int_eq(tu_intf(db, "SELECT count(*) FROM \"%s_threads\" WHERE name='shorty'", table), 20);
    tu_abs_view(db, table);
    ck_assert_int_eq(tu_intf(db, "SELECT count(DISTINCT thread) FROM \"%s_abs\"", table), 20);
    sqlite3_close(db);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("process");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, four_threads_exact_rows);
    tcase_add_test(tc, exit_code_is_unchanged);
    tcase_add_test(tc, off_records_nothing);
    tcase_add_test(tc, unusable_database_prints_one_line_and_runs_on);
    tcase_add_test(tc, bad_variable_prints_one_line_and_records);
    tcase_add_test(tc, run_name_is_reserved);
    tcase_add_test(tc, flush_commits_everything_so_far);
    tcase_add_test(tc, live_threads_at_exit_are_captured);
    tcase_add_test(tc, fork_child_gets_its_own_run);
    tcase_add_test(tc, block_mode_is_lossless_with_tiny_buffers);
    tcase_add_test(tc, drop_mode_accounts_for_every_call);
    tcase_add_test(tc, fork_is_not_held_up_by_a_locked_database);
    tcase_add_test(tc, calls_in_atexit_handlers_are_recorded);
    tcase_add_test(tc, run_table_names_the_run);
    tcase_add_test(tc, thread_exit_flushes_and_names);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

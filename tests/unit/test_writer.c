/*
 * test_writer.c — the writer's decoding, driven without threads: synthetic event streams go in,
 * rows, aggregates and views come out.  Side: recorder.  The clock is the identity (ticks are ns) starting at 1000,
 * so a timestamp T is T-1000 ns after the run start.
 */
#include "clock.h"
#include "config.h"
#include "edgecache.h"
#include "registry.h"
#include "schema.h"
#include "testutil.h"
#include "writer.h"

#define FN(name, file, line) {name, NULL, file, NULL, line, CTIMER_KIND_FUNCTION, CTIMER_ABI_VERSION, 0, 0}
#define METHOD(field, strct, file, line, caller)                                                            \
    {field, strct, file, caller, line, CTIMER_KIND_METHOD, CTIMER_ABI_VERSION, 0, 0}

static struct ctimer_desc descs[] = {
    FN("A", "a.c", 10),
    FN("B", "a.c", 20),
    FN("C", "b.c", 30),
    FN("D", "b.c", 40),                      /* registered, never called */
    METHOD("op", "S", "a.c", 15, "A"),       /* a call through S.op inside A */
    FN("F", "c.c", 50),                      /* what S.op points to */
    FN("inl", "h.h", 5),                     /* a static inline from one translation unit ... */
    FN("inl", "h.h", 5),                     /* ... and the same from another */
    METHOD("op", "S", "b.c", 77, "C"),       /* another call site of S.op */
};
#define A (&descs[0])
#define B (&descs[1])
#define C (&descs[2])
#define D (&descs[3])
#define OP (&descs[4])
#define F (&descs[5])
#define INL1 (&descs[6])
#define INL2 (&descs[7])
#define OP2 (&descs[8])
#define NDESCS (sizeof descs / sizeof *descs)

/* not in any registered range: found lazily in the stream */
static struct ctimer_desc lazy = FN("lazy", "z.c", 99);

struct env {
    const char *kv[16];
};

/* The tests count rows of calls of a few hundred ns: every call is a row unless a test sets
 * CTIMER_MIN_NS itself. */
static const char *fake_getenv(const char *name, void *ctx)
{
    struct env *e = ctx;
    for (int i = 0; e && e->kv[i]; i += 2)
        if (strcmp(e->kv[i], name) == 0)
            return e->kv[i + 1];
    return strcmp(name, "CTIMER_MIN_NS") == 0 ? "0" : NULL;
}

static char dir[256], path[512];
static sqlite3 *db;
static struct ctimer_config cfg;
static struct ctimer_clock clk;
static struct ctimer_writer *w;
static struct ctimer_wthread *th1, *th2;
static struct tu_stream s1, s2;

/* A database with a run "t", and a writer with the given settings. */
static void setup_with(struct env *e)
{
    snprintf(dir, sizeof dir, "%s", tu_tmpdir());
    snprintf(path, sizeof path, "%s/w.db", dir);
    char err[256], table[96];
    ck_assert_int_eq(ctimer_schema_open(path, 2000, &db, err, sizeof err), 0);
    struct ctimer_run_info ri = {.app_id = "t", .program = "t", .argv = "t", .host = "h", .started_at = "x",
                                 .clock = "monotonic", .mode = "trace", .pid = 1, .abi = 1, .start_time = 0};
    int64_t run_id;
    ck_assert_int_eq(ctimer_schema_start_run(db, &ri, "t", "CTIMER_RUN", table, sizeof table, &run_id, NULL, NULL,
                                             err, sizeof err), 0);
    ctimer_config_free(&cfg); /* from an earlier setup in the same test */
    ck_assert_int_ge(ctimer_config_parse(&cfg, fake_getenv, e, NULL, NULL), 0);
    ctimer_clock_identity(&clk, 1000);
    w = ctimer_writer_new(db, path, "t", run_id, &cfg, &clk, getpid());
    ck_assert_ptr_nonnull(w);
    ctimer_writer_add_range(w, descs, descs + NDESCS);
    tu_abs_view(db, "t");
    th1 = ctimer_writer_thread(w, 1, 111);
    th2 = ctimer_writer_thread(w, 2, 222);
    s1.n = s2.n = 0;
}

static void setup(void) { setup_with(NULL); }

static void teardown(void)
{
    ctimer_writer_free(w);
    w = NULL;
    sqlite3_close(db);
    ctimer_config_free(&cfg);
}

static void finish(void)
{
    ctimer_writer_finish(w, 1000000, NULL, "exit");
}

static void decode1(void)
{
    ck_assert_uint_eq(ctimer_writer_decode(w, th1, s1.w, s1.n, 0), s1.n);
    s1.n = 0;
}

static int64_t fid(const char *name, const char *file)
{
    return tu_intf(db, "SELECT id FROM t_functions WHERE name='%s' AND file='%s'", name, file);
}

/* Checks every structural invariant of the rows: parents exist, same thread, depth = parent + 1,
 * the child interval lies inside the parent's, child = sum of direct children's durations. */
static void check_invariants(void)
{
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs c WHERE c.parent != 0 AND NOT EXISTS "
                                "(SELECT 1 FROM t_abs p WHERE p.id = c.id - c.parent)"), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs c JOIN t_abs p ON p.id = c.id - c.parent WHERE c.parent != 0 "
                                "AND (p.thread != c.thread OR p.depth + 1 != c.depth OR c.start < p.start "
                                "OR c.start + c.dur > p.start + p.dur)"), 0);
    tu_check_child_sums(db, "t");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs WHERE parent = 0 AND depth != 0"), 0);
}

START_TEST(nested_calls_give_exact_rows)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_enter(&s1, C, 1300, 800);
    tu_exit(&s1, 1300, 1350);
    tu_exit(&s1, 1200, 1500);
    tu_enter(&s1, C, 1600, 900);
    tu_exit(&s1, 1600, 1700);
    tu_exit(&s1, 1100, 2100);
    decode1();
    finish();

    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs"), 4);
    /* id, parent delta, thread, depth, func, start, dur, child */
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||parent||':'||thread||':'||depth||':'||start||':'||dur"
                                 "||':'||child, ' ') FROM (SELECT * FROM t_abs ORDER BY id)"),
                     "1:0:1:0:100:1000:400 2:1:1:1:200:300:50 3:1:1:2:300:50:0 4:3:1:1:600:100:0");
    ck_assert_int_eq(tu_int(db, "SELECT func FROM t_abs WHERE id = 1"), fid("A", "a.c"));
    ck_assert_int_eq(tu_int(db, "SELECT func FROM t_abs WHERE id = 4"), fid("C", "b.c"));
    /* the calls view */
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||coalesce(parent_id,'-')||':'||thread_id||':'||depth||':'"
                                 "||function||':'||coalesce(struct,'-')||':'||kind||':'||file||':'||line||':'||start_ns"
                                 "||':'||duration_ns||':'||self_ns||':'||unfinished, ' ') FROM (SELECT * FROM t_calls "
                                 "ORDER BY id)"),
                     "1:-:111:0:A:-:function:a.c:10:100:1000:600:0 2:1:111:1:B:-:function:a.c:20:200:300:250:0 "
                     "3:2:111:2:C:-:function:b.c:30:300:50:50:0 4:1:111:1:C:-:function:b.c:30:600:100:100:0");
    check_invariants();

    /* summary: exact, includes the never-called D */
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns||':'||self_ns||':'||avg_ns||':'||min_ns||':'||max_ns||':'"
                                 "||threads FROM t_summary WHERE function='C'"),
                     "2:150:150:75.0:50:100:1");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns||':'||self_ns FROM t_summary WHERE function='A'"),
                     "1:1000:600");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns||':'||self_ns FROM t_summary WHERE function='B'"),
                     "1:300:250");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns||':'||coalesce(avg_ns,'null')||':'||threads FROM "
                                 "t_summary WHERE function='D'"),
                     "0:0:null:0");
    /* edges: (thread, caller, callee) */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_edges"), 4);
    ck_assert_int_eq(tu_intf(db, "SELECT calls FROM t_edges WHERE thread=1 AND caller=0 AND func=%lld",
                             (long long)fid("A", "a.c")), 1);
    ck_assert_int_eq(tu_intf(db, "SELECT total_ns FROM t_edges WHERE caller=%lld AND func=%lld",
                             (long long)fid("B", "a.c"), (long long)fid("C", "b.c")), 50);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns FROM t_edges_named WHERE caller='A' AND callee='C'"),
                     "1:100");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_edges_named WHERE caller IS NULL AND callee='A'"), 1);
    /* runs */
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished||':'||rows||':'||ticks_per_us FROM runs"),
                     "4:0:0:4:1000.0");
    ck_assert_int_eq(tu_int(db, "SELECT ended_at LIKE '____-__-__T__:__:__.___Z' FROM runs"), 1);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_open"), 0);
    /* threads */
    ck_assert_int_eq(tu_int(db, "SELECT tid FROM t_threads WHERE id = 1"), 111);
}
END_TEST

START_TEST(every_registered_function_is_listed_once)
{
    ctimer_writer_commit(w, 0);
    /* 9 descriptors: the two "inl" are one function; the two S.op call sites are two */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_functions"), 8);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_functions WHERE name='inl'"), 1);
    ck_assert_uint_eq(INL1->id, 0); /* the runtime never writes into descriptors */
    ck_assert_str_eq(tu_text(db, "SELECT kind||':'||struct||':'||name||':'||file||':'||line||':'||caller FROM "
                                 "t_functions WHERE name='op' AND line=15"),
                     "method:S:op:a.c:15:A");
    ck_assert_str_eq(tu_text(db, "SELECT kind||':'||coalesce(struct,'null')||':'||coalesce(caller,'null') FROM "
                                 "t_functions WHERE name='A'"),
                     "function:null:null");
    /* summary: one row per function, methods grouped over call sites */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_summary"), 7);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_summary WHERE function='op' AND struct='S'"), 1);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_methods"), 1);
    /* the same range again (another translation unit's constructor) adds nothing */
    ctimer_writer_add_range(w, descs, descs + NDESCS);
    ctimer_writer_commit(w, 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_functions"), 8);
}
END_TEST

START_TEST(functions_named_by_the_log_need_no_memory_of_the_program)
{
    /* The program's descriptor log (shm.h) names descriptors by address: the writer never reads
     * those addresses, so a module unloaded (dlclose) meanwhile, or any address at all, is fine. */
    uint64_t gone = 0x10; /* unmapped */
    ck_assert_uint_gt(ctimer_writer_add_function(w, gone, CTIMER_KIND_FUNCTION, 7, "gone", NULL, "g.c", NULL), 0);
    ck_assert_uint_gt(ctimer_writer_add_function(w, gone + 48, CTIMER_KIND_METHOD, 9, "area", "ops", "g.c", "main"),
                      0);
    ctimer_writer_commit(w, 0);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(kind||':'||coalesce(struct,'-')||':'||name||':'||file||':'||line"
                                 "||':'||coalesce(caller,'-')) FROM (SELECT * FROM t_functions WHERE file='g.c' "
                                 "ORDER BY line)"),
                     "function:-:gone:g.c:7:-,method:ops:area:g.c:9:main");
}
END_TEST

START_TEST(bad_ranges_are_reported_not_read)
{
    /* records 64 bytes apart (a compiler that aligned each descriptor to 32): not an array of 48 */
    static struct {
        struct ctimer_desc d;
        char pad[16];
    } holes[2] = {{FN("h1", "h.c", 1), {0}}, {FN("h2", "h.c", 2), {0}}};
    /* a record of another ABI, and all-zero padding, between good ones */
    static struct ctimer_desc mixed[4] = {FN("m1", "m.c", 1), {0}, FN("m2", "m.c", 2), FN("m3", "m.c", 3)};
    mixed[2].abi = 99;
    int saved = tu_stderr_begin(dir);
    ctimer_writer_add_range(w, &holes[0].d, (struct ctimer_desc *)&holes[2]);
    ctimer_writer_add_range(w, mixed, mixed + 4);
    const char *err = tu_stderr_end(dir, saved);
    ck_assert_str_eq(err, "ctimer: a ctimer_desc section of 128 bytes is not an array of 48-byte descriptors; its "
                          "functions are listed only once called\n"
                          "ctimer: 1 records in a ctimer_desc section are not ABI 1 descriptors (another plugin "
                          "version?); skipped\n");
    ctimer_writer_commit(w, 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_functions WHERE name LIKE 'h_'"), 0);
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(name) FROM (SELECT name FROM t_functions WHERE name LIKE 'm_' "
                                 "ORDER BY name)"), "m1,m3");
    ck_assert_uint_eq(mixed[3].id, 0); /* the runtime never writes into descriptors */
    /* the skipped descriptors are still named when they are called */
    tu_enter(&s1, &holes[1].d, 1100, 1000);
    tu_exit(&s1, 1100, 1200);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT function||':'||file||':'||line FROM t_calls"), "h2:h.c:2");
}
END_TEST

START_TEST(inline_duplicates_aggregate_as_one_function)
{
    tu_enter(&s1, INL1, 1100, 1000);
    tu_exit(&s1, 1100, 1110);
    tu_enter(&s1, INL2, 1200, 1000);
    tu_exit(&s1, 1200, 1230);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns FROM t_summary WHERE function='inl'"), "2:40");
    ck_assert_int_eq(tu_int(db, "SELECT count(DISTINCT func) FROM t_abs"), 1);
}
END_TEST

START_TEST(lazily_seen_descriptor_gets_a_function_row)
{
    tu_enter(&s1, &lazy, 1100, 1000);
    tu_exit(&s1, 1100, 1200);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT name||':'||file||':'||line FROM t_functions WHERE name='lazy'"), "lazy:z.c:99");
    ck_assert_str_eq(tu_text(db, "SELECT function||':'||duration_ns FROM t_calls"), "lazy:100");
    ck_assert_uint_eq(lazy.id, 0); /* the runtime never writes into descriptors */
}
END_TEST

START_TEST(unreadable_descriptor_is_named_question_mark)
{
    tu_enter(&s1, (void *)(uintptr_t)0x10000, 1100, 1000); /* nothing is mapped there */
    tu_exit(&s1, 1100, 1200);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT function FROM t_calls"), "?");
}
END_TEST

START_TEST(unknown_exit_is_counted_as_dropped)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_exit(&s1, 999999, 1150); /* no frame entered at 999999 */
    tu_exit(&s1, 1100, 1200);
    tu_exit(&s1, 1100, 1300); /* A again: already closed */
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished||':'||rows FROM runs"), "1:2:0:1");
    ck_assert_int_eq(tu_int(db, "SELECT dur FROM t_abs"), 100);
}
END_TEST

START_TEST(exit_of_zero_or_before_the_run_is_ignored)
{
    tu_exit(&s1, 0, 1150);   /* enter recorded nothing */
    tu_exit(&s1, 500, 1150); /* entered before the run started (forked child) */
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished FROM runs"), "0:0:0");
}
END_TEST

START_TEST(longjmp_leaves_unfinished_rows)
{
    tu_enter(&s1, A, 1100, 1000); /* id 1 */
    tu_enter(&s1, B, 1200, 900);  /* id 2 */
    tu_enter(&s1, C, 1300, 800);  /* id 3 */
    /* longjmp back into A: the next call from A has a higher stack position than B and C */
    tu_enter(&s1, D, 1400, 950); /* id 4: pops C and B as unfinished, ending at 1400 */
    tu_exit(&s1, 1400, 1500);
    tu_exit(&s1, 1100, 1600);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||parent||':'||depth||':'||start||':'||dur||':'||child, ' ')"
                                 " FROM (SELECT * FROM t_abs ORDER BY id)"),
                     "1:0:0:100:500:300 2:1:1:200:200:100 3:1:2:300:100:0 4:3:1:400:100:0");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM t_open ORDER BY id)"), "2,3");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(unfinished) FROM (SELECT unfinished FROM t_calls ORDER BY id)"),
                     "0,1,1,0");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished||':'||rows FROM runs"), "4:0:2:4");
    /* unfinished calls are calls, in none of the sums: B and C were never completed */
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished||':'||total_ns||':'||coalesce(avg_ns, 'null')"
                                 " FROM t_summary WHERE function='B'"),
                     "1:1:0:null");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished||':'||total_ns FROM t_summary WHERE function='C'"),
                     "1:1:0");
    /* but A's self time accounts for them, in the rows and in the aggregates */
    ck_assert_int_eq(tu_int(db, "SELECT self_ns FROM t_calls WHERE id=1"), 200);
    ck_assert_int_eq(tu_int(db, "SELECT self_ns FROM t_summary WHERE function='A'"), 200);
    check_invariants();
}
END_TEST

START_TEST(equal_stack_position_is_a_child_not_a_sibling)
{
    /* a method is timed at its call site: same stack position as the calling function */
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, OP, 1200, 1000);
    tu_enter(&s1, F, 1250, 900);
    tu_exit(&s1, 1250, 1350);
    tu_exit(&s1, 1200, 1400);
    tu_enter(&s1, OP, 1500, 1000);
    tu_exit(&s1, 1500, 1550); /* S.op pointing at an uninstrumented function */
    tu_exit(&s1, 1100, 1600);
    tu_enter(&s1, C, 1700, 1000);
    tu_enter(&s1, OP2, 1710, 1000);
    tu_enter(&s1, B, 1720, 900);
    tu_exit(&s1, 1720, 1730);
    tu_exit(&s1, 1710, 1740);
    tu_exit(&s1, 1700, 1800);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(depth) FROM (SELECT depth FROM t_abs ORDER BY id)"), "0,1,2,1,0,1,2");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_open"), 0);
    /* methods view: both call sites of S.op together; callees from the edges */
    ck_assert_str_eq(tu_text(db, "SELECT struct||':'||method||':'||calls||':'||total_ns||':'||avg_ns FROM t_methods"),
                     "S:op:3:280:" "93.3333333333333");
    const char *callees = tu_text(db, "SELECT callees FROM t_methods");
    ck_assert_msg(strcmp(callees, "F,B") == 0 || strcmp(callees, "B,F") == 0, "callees %s", callees);
    ck_assert_str_eq(tu_text(db, "SELECT function||':'||struct||':'||kind||':'||calls FROM t_summary WHERE kind='method'"),
                     "op:S:method:3");
    ck_assert_str_eq(tu_text(db, "SELECT calls FROM t_edges_named WHERE caller='S.op' AND callee='F'"), "1");
    check_invariants();
}
END_TEST

START_TEST(exit_skipping_frames_closes_them_as_unfinished)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_exit(&s1, 1100, 1300); /* A returns, B never did (its exit was lost) */
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||dur||':'||child, ' ') FROM (SELECT * FROM t_abs ORDER BY id)"),
                     "1:200:100 2:100:0");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM t_open"), "2");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished FROM runs"), "2:1");
}
END_TEST

START_TEST(open_frames_at_finish_are_unfinished)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_exit(&s1, 1200, 1250);
    decode1();
    tu_enter(&s2, C, 1150, 500);
    ck_assert_uint_eq(ctimer_writer_decode(w, th2, s2.w, s2.n, 0), s2.n);
    ctimer_writer_finish(w, 5000, NULL, "exit");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||thread||':'||start||':'||dur||':'||child, ' ') FROM "
                                 "(SELECT * FROM t_abs ORDER BY id)"),
                     "1:1:100:3900:50 2:1:200:50:0 256:2:150:3850:0");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM t_open ORDER BY id)"), "1,256");
    ck_assert_int_eq(tu_int(db, "SELECT unfinished FROM runs"), 2);
    ck_assert_int_eq(tu_int(db, "SELECT count(DISTINCT thread_id) FROM t_calls"), 2);
}
END_TEST

START_TEST(thread_end_marker_closes_frames_at_its_time)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_mark(&s1, CTIMER_MARK_END, 1400);
    decode1();
    ctimer_writer_thread_done(w, th1, "worker-1");
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||dur, ' ') FROM (SELECT * FROM t_abs ORDER BY id)"),
                     "1:300 2:200");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_open"), 2);
    ck_assert_str_eq(tu_text(db, "SELECT tid||':'||name FROM t_threads WHERE id=1"), "111:worker-1");
}
END_TEST

START_TEST(gap_counts_dropped_calls_once)
{
    /* drop mode: a chunk with 3 enters was discarded; one of those calls' exits still arrives */
    tu_enter(&s1, A, 1100, 1000);
    tu_mark(&s1, CTIMER_MARK_GAP, 3);
    tu_exit(&s1, 1150, 1210); /* an exit whose enter was in the gap: already counted */
    tu_enter(&s1, B, 1300, 900);
    tu_exit(&s1, 1300, 1400);
    tu_exit(&s1, 1100, 1500);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished FROM runs"), "2:3:0");
}
END_TEST

START_TEST(lost_marker_counts_handler_calls_as_dropped)
{
    /* a signal handler made 2 calls while the thread was in the slow path: no exit follows them,
     * and unlike a gap no orphan exit is expected (the exit after it must still match) */
    tu_enter(&s1, A, 1100, 1000);
    tu_mark(&s1, CTIMER_MARK_LOST, 2);
    tu_enter(&s1, B, 1300, 900);
    tu_exit(&s1, 1300, 1400);
    tu_exit(&s1, 1100, 1500);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||dropped||':'||unfinished FROM runs"), "2:2:0");
}
END_TEST

START_TEST(partial_decode_stops_at_unwritten_event)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_exit(&s1, 1200, 1300);
    size_t complete = s1.n;
    s1.w[s1.n++] = 0; /* an exit reserved but not yet written */
    s1.w[s1.n++] = 1400;
    ck_assert_uint_eq(ctimer_writer_decode(w, th1, s1.w, s1.n, 1), complete);
    /* a truncated enter at the end is not consumed either */
    ck_assert_uint_eq(ctimer_writer_decode(w, th2, s1.w, 2, 1), 0);
}
END_TEST

START_TEST(min_ns_filters_rows_not_aggregates)
{
    ctimer_writer_free(w);
    sqlite3_close(db);
    struct env e = {{"CTIMER_MIN_NS", "100", NULL}};
    setup_with(&e);
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s1, B, 1200, 900);
    tu_exit(&s1, 1200, 1250); /* 50 ns: no row */
    tu_enter(&s1, C, 1300, 900);
    tu_exit(&s1, 1300, 1400); /* 100 ns: a row */
    tu_exit(&s1, 1100, 1500);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||dur||':'||child, ' ') FROM (SELECT * FROM t_abs ORDER BY id)"),
                     "1:400:150 3:100:0");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||rows FROM runs"), "3:2");
    ck_assert_int_eq(tu_int(db, "SELECT calls FROM t_summary WHERE function='B'"), 1);
}
END_TEST

START_TEST(summary_mode_writes_no_rows)
{
    ctimer_writer_free(w);
    sqlite3_close(db);
    struct env e = {{"CTIMER_MODE", "summary", NULL}};
    setup_with(&e);
    for (int i = 0; i < 100; i++) {
        uint64_t t = 2000 + (uint64_t)i * 100;
        tu_enter(&s1, A, t, 1000);
        tu_enter(&s1, B, t + 10, 900);
        tu_exit(&s1, t + 10, t + 30);
        tu_exit(&s1, t, t + 50);
    }
    tu_enter(&s1, C, 90000, 1000);
    decode1();
    finish();
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs"), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_open"), 0);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||total_ns||':'||self_ns||':'||min_ns||':'||max_ns FROM t_summary "
                                 "WHERE function='A'"),
                     "100:5000:3000:50:50");
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||unfinished||':'||rows FROM runs"), "201:1:0");
}
END_TEST

START_TEST(many_rows_across_batches_and_multirow_inserts)
{
    ctimer_writer_free(w);
    sqlite3_close(db);
    struct env e = {{"CTIMER_BATCH", "1000", NULL}};
    setup_with(&e);
    /* 10000 calls of A each with a child B: 20000 rows, 20 transactions, 64-row statements + remainders */
    uint64_t t = 2000;
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 1000; i++, t += 100) {
            tu_enter(&s1, A, t, 1000);
            tu_enter(&s1, B, t + 10, 900);
            tu_exit(&s1, t + 10, t + 20 + (uint64_t)(i % 7));
            tu_exit(&s1, t, t + 50);
        }
        decode1();
    }
    finish();
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs"), 20000);
    ck_assert_int_eq(tu_int(db, "SELECT min(id) FROM t_abs"), 1);
    ck_assert_int_eq(tu_int(db, "SELECT max(id) FROM t_abs"), 20000);
    ck_assert_int_eq(tu_int(db, "SELECT rows FROM runs"), 20000);
    ck_assert_int_eq(tu_int(db, "SELECT sum(dur) FROM t_abs WHERE depth = 1"),
                     tu_int(db, "SELECT total_ns FROM t_summary WHERE function='B'"));
    check_invariants();
}
END_TEST

START_TEST(locked_database_keeps_the_rows_until_it_is_released)
{
    ctimer_writer_free(w);
    sqlite3_close(db);
    struct env e = {{"CTIMER_BUSY_MS", "100", NULL}};
    setup_with(&e);
    sqlite3_busy_timeout(db, 100);
    tu_enter(&s1, A, 1100, 1000);
    tu_exit(&s1, 1100, 1200);
    decode1();
    /* another connection holds the write lock past CTIMER_BUSY_MS */
    sqlite3 *other = tu_open(path);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    int saved = tu_stderr_begin(dir);
    ck_assert_int_eq(ctimer_writer_commit(w, 1), -1);
    ck_assert_int_eq(ctimer_writer_commit(w, 1), -1); /* retried later, and said once */
    const char *err = tu_stderr_end(dir, saved);
    ck_assert_int_eq(tu_count_lines(err), 1);
    ck_assert_msg(strstr(err, "is locked by another connection; keeping the rows and retrying"), "message: %s", err);
    ck_assert_uint_eq(ctimer_writer_pending_rows(w), 1); /* nothing thrown away */
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    /* once released, the kept row, later calls, functions and aggregates are all written */
    tu_enter(&s1, B, 1300, 1000);
    tu_exit(&s1, 1300, 1400);
    decode1();
    finish();
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_abs"), 2);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_functions"), 8);
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||rows||':'||rows_lost||':'||complete FROM runs"), "2:2:0:1");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(function||':'||thread_id||':'||depth||':'||start_ns) FROM "
                                 "(SELECT * FROM t_calls ORDER BY id)"),
                     "A:111:0:100,B:111:0:300");
    ck_assert_int_eq(tu_int(db, "SELECT calls FROM t_summary WHERE function='A'"), 1);
}
END_TEST

START_TEST(two_threads_have_separate_stacks_and_edges)
{
    tu_enter(&s1, A, 1100, 1000);
    tu_enter(&s2, A, 1105, 5000);
    tu_enter(&s2, B, 1110, 4900);
    decode1();
    ck_assert_uint_eq(ctimer_writer_decode(w, th2, s2.w, s2.n, 0), s2.n);
    s2.n = 0;
    tu_exit(&s1, 1100, 1300);
    tu_exit(&s2, 1110, 1120);
    tu_exit(&s2, 1105, 1200);
    decode1();
    ck_assert_uint_eq(ctimer_writer_decode(w, th2, s2.w, s2.n, 0), s2.n);
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id||':'||parent||':'||thread||':'||depth, ' ') FROM "
                                 "(SELECT * FROM t_abs ORDER BY id)"),
                     "1:0:1:0 256:0:2:0 257:1:2:1"); /* each thread takes its own block of 256 ids */
    ck_assert_str_eq(tu_text(db, "SELECT calls||':'||threads FROM t_summary WHERE function='A'"), "2:2");
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_edges"), 3);
    check_invariants();
}
END_TEST

START_TEST(rows_reach_the_table_in_id_order)
{
    /* a log of the order in which rows are inserted into t */
    ck_assert_int_eq(sqlite3_exec(db, "CREATE TEMP TABLE log(n INTEGER PRIMARY KEY, id);"
                                      "CREATE TEMP TRIGGER t_log AFTER INSERT ON main.t"
                                      " BEGIN INSERT INTO log(id) VALUES (new.id); END",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* A(B(C, C), B(C)): ids 1..6 in pre-order, rows produced in post-order 3 4 2 6 5 1 */
    tu_enter(&s1, A, 1100, 1000);
    for (int b = 0; b < 2; b++) {
        uint64_t tb = 1200 + (uint64_t)b * 300;
        tu_enter(&s1, B, tb, 900);
        for (int c = 0; c < 2 - b; c++) {
            tu_enter(&s1, C, tb + 10 + (uint64_t)c * 100, 800);
            tu_exit(&s1, tb + 10 + (uint64_t)c * 100, tb + 50 + (uint64_t)c * 100);
        }
        tu_exit(&s1, tb, tb + 250);
    }
    tu_exit(&s1, 1100, 2000);
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM log ORDER BY n)"), "1,2,3,4,5,6");
    check_invariants();
}
END_TEST

START_TEST(each_thread_takes_its_own_id_blocks)
{
    /* two threads, 300 calls each, decoded in alternation: ids come in blocks of 256 per thread */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            uint64_t t = 2000 + (uint64_t)(round * 100 + i) * 100;
            tu_enter(&s1, A, t, 1000);
            tu_exit(&s1, t, t + 10);
            tu_enter(&s2, B, t + 5, 1000);
            tu_exit(&s2, t + 5, t + 25);
        }
        decode1();
        ck_assert_uint_eq(ctimer_writer_decode(w, th2, s2.w, s2.n, 0), s2.n);
        s2.n = 0;
    }
    finish();
    /* thread 1: 1..255 then 512..556; thread 2: 256..511 then 768..811 */
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(b, ' ') FROM (SELECT thread_id || ':' || min(id) || '-' || max(id)"
                                 " || ':' || count(*) AS b FROM t_calls GROUP BY thread_id, id >> 8 ORDER BY min(id))"),
                     "111:1-255:255 222:256-511:256 111:512-556:45 222:768-811:44");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id || ':' || thread || ':' || depth || ':' || start, ' ') FROM "
                                 "(SELECT * FROM t_blocks ORDER BY id)"),
                     "0:1:0:1000 1:2:0:1005 2:1:0:26500 3:2:0:26605");
    /* absolute values through the view: start_ns is the call's own start */
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_calls WHERE function = 'A' AND (start_ns - 1000) % 100 != 0"), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(*) FROM t_calls WHERE function = 'B' AND (start_ns - 1005) % 100 != 0"), 0);
    ck_assert_int_eq(tu_int(db, "SELECT count(DISTINCT start_ns) FROM t_calls"), 600);
    ck_assert_str_eq(tu_text(db, "SELECT min(start_ns) || ':' || max(start_ns) FROM t_calls"), "1000:30905");
    check_invariants();
}
END_TEST

START_TEST(blocks_are_written_only_for_rows)
{
    ctimer_writer_free(w);
    sqlite3_close(db);
    struct env e = {{"CTIMER_MIN_NS", "100", NULL}};
    setup_with(&e);
    /* 1000 calls, ids 1..1000: the 500th and the 1000th are long enough for a row (blocks 1 and 3);
     * blocks 0 and 2 have no row and no _blocks row */
    uint64_t t = 2000;
    for (int i = 0; i < 1000; i++, t += 20) {
        uint64_t d = i % 500 == 499 ? 150 : 10;
        tu_enter(&s1, A, t, 1000);
        tu_exit(&s1, t, t + d);
        t += d;
    }
    decode1();
    finish();
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY id)"), "500,1000");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(id) FROM (SELECT id FROM t_blocks ORDER BY id)"), "1,3");
    ck_assert_str_eq(tu_text(db, "SELECT group_concat(start_ns || ':' || duration_ns) FROM (SELECT * FROM t_calls ORDER BY id)"),
                     "15970:150,31110:150"); /* 499 * 30 ns after the start; 999 * 30 + 140 */
}
END_TEST

START_TEST(writer_time_is_recorded)
{
    ck_assert_int_eq(tu_int(db, "SELECT writer_ms FROM runs"), 0);
    for (int i = 0; i < 1000; i++) {
        uint64_t t = 2000 + (uint64_t)i * 100;
        tu_enter(&s1, A, t, 1000);
        tu_exit(&s1, t, t + 50);
    }
    decode1();
    finish();
    ck_assert_int_ge(tu_int(db, "SELECT writer_ms FROM runs"), 0);
    ck_assert_int_lt(tu_int(db, "SELECT writer_ms FROM runs"), 10000);
}
END_TEST

/* Enough (thread, caller, callee) edges to overflow the writer's 4096-entry edge cache many times. */
START_TEST(edge_cache_keeps_aggregates_exact)
{
    enum { NF = 300 };
    static struct ctimer_desc many[NF];
    static char names[NF][8];
    for (int i = 0; i < NF; i++) {
        snprintf(names[i], sizeof names[i], "g%d", i);
        many[i] = (struct ctimer_desc)FN(names[i], "g.c", i + 1);
    }
    ctimer_writer_add_range(w, many, many + NF);
    uint64_t t = 2000;
    for (int pass = 0; pass < 3; pass++) {
        for (int th = 0; th < 2; th++) {
            struct tu_stream *s = th ? &s2 : &s1;
            for (int a = 0; a < NF; a++) {
                uint64_t ta = t;
                tu_enter(s, &many[a], ta, 1000);
                for (int j = 0; j < 10; j++) {
                    t += 10;
                    uint64_t tc = t;
                    tu_enter(s, &many[(a * 31 + j * 17 + th) % NF], tc, 900);
                    t += 5 + (uint64_t)((a + j + pass) % 7);
                    tu_exit(s, tc, t);
                }
                t += 10;
                tu_exit(s, ta, t);
                t += 10;
            }
            ck_assert_uint_eq(ctimer_writer_decode(w, th ? th2 : th1, s->w, s->n, 0), s->n);
            s->n = 0;
        }
    }
    finish();
    ck_assert_int_gt(tu_int(db, "SELECT count(*) FROM t_edges"), 4096);
    /* every edge equals its rows: count and total per (thread, caller function, function) */
    const char *q = "WITH g AS (SELECT c.thread AS thread, coalesce(p.func, 0) AS caller, c.func AS func, count(*) AS n,"
                    " sum(c.dur) AS total, sum(c.dur - c.child) AS self FROM t_abs c"
                    " LEFT JOIN t_abs p ON c.parent != 0 AND p.id = c.id - c.parent GROUP BY 1, 2, 3)"
                    " SELECT (SELECT count(*) FROM g) * 1000000 + (SELECT count(*) FROM t_edges) * 1000 + (SELECT count(*)"
                    " FROM g JOIN t_edges e USING (thread, caller, func) WHERE e.calls = g.n AND e.total_ns = g.total"
                    " AND e.self_ns = g.self) % 1000";
    int64_t groups = tu_int(db, "SELECT count(*) FROM t_edges");
    ck_assert_int_eq(tu_int(db, q), groups * 1000000 + groups * 1000 + groups % 1000);
    ck_assert_int_eq(tu_int(db, "SELECT sum(calls) FROM t_edges"), 3 * 2 * NF * 11);
}
END_TEST

/* The edge cache answers only for exactly the key stored, also when another key shares its slot. */
START_TEST(edge_cache_matches_whole_keys)
{
    static struct ctimer_edge_slot cache[CTIMER_EDGE_CACHE_SLOTS];
    const uintptr_t d = 0x7f0000001230;
    ck_assert_ptr_null(ctimer_edge_find(cache, d, 1, 5)); /* empty */
    ctimer_edge_store(cache, d, 1, 5, 7, 9);
    const struct ctimer_edge_slot *s = ctimer_edge_find(cache, d, 1, 5);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->fid, 7);
    ck_assert_uint_eq(s->agg, 9);
    struct ctimer_edge_slot *home = ctimer_edge_slot(cache, d, 1, 5);
    /* keys differing in one part each, chosen to land in the same slot */
    uint32_t caller = 6, thread = 2;
    uintptr_t desc = d + 48;
    while (ctimer_edge_slot(cache, d, 1, caller) != home)
        caller++;
    while (ctimer_edge_slot(cache, d, thread, 5) != home)
        thread++;
    while (ctimer_edge_slot(cache, desc, 1, 5) != home)
        desc += 48;
    ck_assert_ptr_null(ctimer_edge_find(cache, d, 1, caller));
    ck_assert_ptr_null(ctimer_edge_find(cache, d, thread, 5));
    ck_assert_ptr_null(ctimer_edge_find(cache, desc, 1, 5));
    /* a colliding key replaces the entry */
    ctimer_edge_store(cache, d, 1, caller, 8, 10);
    ck_assert_ptr_null(ctimer_edge_find(cache, d, 1, 5));
    ck_assert_uint_eq(ctimer_edge_find(cache, d, 1, caller)->fid, 8);
}
END_TEST

START_TEST(tsc_conversion_keeps_children_inside_parents)
{
    /* 2.7 ticks per ns: timestamps are converted one by one, so sums stay exact */
    struct ctimer_clock c = {.tsc = 1, .start_tick = 1000, .start_mono = 0, .calibrated = 1,
                             .ticks_per_us = 2700.0};
    c.mult = (uint64_t)(((unsigned __int128)1 << 32) * 10 / 27);
    ck_assert_uint_eq(ctimer_clock_ns(&c, 1000), 0);
    ck_assert_uint_eq(ctimer_clock_ns(&c, 999), 0);
    ck_assert_uint_eq(ctimer_clock_ns(&c, 1000 + 2700000), 999999); /* floor */
    uint64_t prev = 0;
    for (uint64_t t = 1000; t < 100000; t += 7) {
        uint64_t ns = ctimer_clock_ns(&c, t);
        ck_assert_uint_ge(ns, prev);
        prev = ns;
    }
    /* far from the start: no overflow (a week of ticks at 5 GHz) */
    uint64_t week = UINT64_C(5000000000) * 604800;
    uint64_t ns = ctimer_clock_ns(&c, 1000 + week);
    ck_assert_uint_gt(ns, UINT64_C(604800) * 1000000000 / 3);
}
END_TEST

START_TEST(calibration_measures_the_clock)
{
    struct ctimer_clock c;
    ctimer_clock_start(&c, 0);
    ctimer_clock_calibrate(&c);
    ck_assert(c.calibrated);
    ck_assert(c.ticks_per_us > 0);
    uint64_t t1 = ctimer_now(), m1 = ctimer_mono_ns();
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    uint64_t t2 = ctimer_now(), m2 = ctimer_mono_ns();
    double measured = (double)(ctimer_clock_ns(&c, t2) - ctimer_clock_ns(&c, t1));
    double real = (double)(m2 - m1);
    ck_assert_msg(measured > real * 0.99 && measured < real * 1.01, "measured %.0f real %.0f", measured, real);
    /* forced monotonic: the identity */
    ctimer_clock_start(&c, 1);
    ck_assert_int_eq(c.tsc, 0);
    ck_assert_uint_eq(c.mult, UINT64_C(1) << 32);
    ck_assert_uint_eq(ctimer_clock_ns(&c, c.start_tick + 12345), 12345);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writer");
    TCase *tc = tcase_create("decode");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nested_calls_give_exact_rows);
    tcase_add_test(tc, every_registered_function_is_listed_once);
    tcase_add_test(tc, bad_ranges_are_reported_not_read);
    tcase_add_test(tc, functions_named_by_the_log_need_no_memory_of_the_program);
    tcase_add_test(tc, lost_marker_counts_handler_calls_as_dropped);
    tcase_add_test(tc, inline_duplicates_aggregate_as_one_function);
    tcase_add_test(tc, lazily_seen_descriptor_gets_a_function_row);
    tcase_add_test(tc, unreadable_descriptor_is_named_question_mark);
    tcase_add_test(tc, unknown_exit_is_counted_as_dropped);
    tcase_add_test(tc, exit_of_zero_or_before_the_run_is_ignored);
    tcase_add_test(tc, longjmp_leaves_unfinished_rows);
    tcase_add_test(tc, equal_stack_position_is_a_child_not_a_sibling);
    tcase_add_test(tc, exit_skipping_frames_closes_them_as_unfinished);
    tcase_add_test(tc, open_frames_at_finish_are_unfinished);
    tcase_add_test(tc, thread_end_marker_closes_frames_at_its_time);
    tcase_add_test(tc, gap_counts_dropped_calls_once);
    tcase_add_test(tc, partial_decode_stops_at_unwritten_event);
    tcase_add_test(tc, min_ns_filters_rows_not_aggregates);
    tcase_add_test(tc, summary_mode_writes_no_rows);
    tcase_add_test(tc, many_rows_across_batches_and_multirow_inserts);
    tcase_add_test(tc, locked_database_keeps_the_rows_until_it_is_released);
    tcase_add_test(tc, two_threads_have_separate_stacks_and_edges);
    tcase_add_test(tc, tsc_conversion_keeps_children_inside_parents);
    tcase_add_test(tc, calibration_measures_the_clock);
    tcase_add_test(tc, rows_reach_the_table_in_id_order);
    tcase_add_test(tc, each_thread_takes_its_own_id_blocks);
    tcase_add_test(tc, blocks_are_written_only_for_rows);
    tcase_add_test(tc, writer_time_is_recorded);
    tcase_add_test(tc, edge_cache_keeps_aggregates_exact);
    tcase_add_test(tc, edge_cache_matches_whole_keys);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

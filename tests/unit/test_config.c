/* test_config.c — environment parsing (config.c): defaults, each variable, the one-line messages. */
#include "config.h"
#include "testutil.h"

/* A fake environment: pairs of name, value. */
struct env {
    const char *kv[32];
};

static const char *fake_getenv(const char *name, void *ctx)
{
    struct env *e = ctx;
    for (int i = 0; e->kv[i]; i += 2)
        if (strcmp(e->kv[i], name) == 0)
            return e->kv[i + 1];
    return NULL;
}

struct messages {
    char lines[16][300];
    int n;
};

static void collect(const char *line, void *ctx)
{
    struct messages *m = ctx;
    if (m->n < 16)
        snprintf(m->lines[m->n], sizeof m->lines[0], "%s", line);
    m->n++;
}

/* Parses with the given environment; returns the message count (also in *m). */
static int parse(struct ctimer_config *c, struct env *e, struct messages *m)
{
    memset(m, 0, sizeof *m);
    int r = ctimer_config_parse(c, fake_getenv, e, collect, m);
    ck_assert_int_eq(r, m->n);
    for (int i = 0; i < m->n && i < 16; i++)
        ck_assert_ptr_null(strchr(m->lines[i], '\n')); /* one line each */
    return r;
}

START_TEST(defaults)
{
    struct env e = {{NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 0);
    ck_assert_str_eq(c.db, "./ctimer.db");
    ck_assert_ptr_null(c.run);
    ck_assert_ptr_null(c.app_id);
    ck_assert_int_eq(c.off, 0);
    ck_assert_int_eq(c.batch, 65536);
    ck_assert_int_eq(c.on_full, CTIMER_FULL_BLOCK);
    ck_assert_int_eq(c.min_ns, 5000);
    ck_assert_int_eq(c.mode, CTIMER_MODE_TRACE);
    ck_assert_int_eq(c.buffer_kb, 4096);
    ck_assert_int_eq(c.busy_ms, 10000);
    ctimer_config_free(&c);
}
END_TEST

START_TEST(good_values)
{
    struct env e = {{"CTIMER_DB", "/tmp/x.db", "CTIMER_RUN", "my_run_1", "CTIMER_APP_ID", "app 'quoted'",
                     "CTIMER_OFF", "1", "CTIMER_BATCH", "10000000", "CTIMER_ON_FULL", "drop", "CTIMER_MIN_NS",
                     "250", "CTIMER_MODE", "summary", "CTIMER_BUFFER_KB", "128", "CTIMER_BUSY_MS", "0", NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 0);
    ck_assert_str_eq(c.db, "/tmp/x.db");
    ck_assert_str_eq(c.run, "my_run_1");
    ck_assert_str_eq(c.app_id, "app 'quoted'");
    ck_assert_int_eq(c.off, 1);
    ck_assert_int_eq(c.batch, 10000000);
    ck_assert_int_eq(c.on_full, CTIMER_FULL_DROP);
    ck_assert_int_eq(c.min_ns, 250);
    ck_assert_int_eq(c.mode, CTIMER_MODE_SUMMARY);
    ck_assert_int_eq(c.buffer_kb, 128);
    ck_assert_int_eq(c.busy_ms, 0);
    ctimer_config_free(&c);

    struct env e2 = {{"CTIMER_OFF", "0", "CTIMER_ON_FULL", "block", "CTIMER_MODE", "trace", "CTIMER_BATCH", "1",
                      NULL}};
    ck_assert_int_eq(parse(&c, &e2, &m), 0);
    ck_assert_int_eq(c.off, 0);
    ck_assert_int_eq(c.on_full, CTIMER_FULL_BLOCK);
    ck_assert_int_eq(c.mode, CTIMER_MODE_TRACE);
    ck_assert_int_eq(c.batch, 1);
    ctimer_config_free(&c);
}
END_TEST

/* One bad variable: exactly one message, with this exact text, and the default in use. */
static void expect_one(const char *name, const char *value, const char *line)
{
    struct env e = {{name, value, NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 1);
    ck_assert_str_eq(m.lines[0], line);
    struct env none = {{NULL}};
    struct ctimer_config d;
    struct messages m2;
    parse(&d, &none, &m2);
    ck_assert_int_eq(c.batch, d.batch);
    ck_assert_int_eq(c.off, d.off);
    ck_assert_int_eq(c.on_full, d.on_full);
    ck_assert_int_eq(c.min_ns, d.min_ns);
    ck_assert_int_eq(c.mode, d.mode);
    ck_assert_int_eq(c.buffer_kb, d.buffer_kb);
    ck_assert_int_eq(c.busy_ms, d.busy_ms);
    ck_assert_ptr_null(c.run);
    ctimer_config_free(&c);
    ctimer_config_free(&d);
}

START_TEST(bad_values_one_line_each)
{
    expect_one("CTIMER_BATCH", "abc", "ctimer: CTIMER_BATCH='abc' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_BATCH", "0", "ctimer: CTIMER_BATCH='0' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_BATCH", "10000001",
               "ctimer: CTIMER_BATCH='10000001' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_BATCH", "12k", "ctimer: CTIMER_BATCH='12k' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_BATCH", " 12", "ctimer: CTIMER_BATCH=' 12' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_BATCH", "99999999999999999999",
               "ctimer: CTIMER_BATCH='99999999999999999999' is not an integer in 1..10000000; using 65536");
    expect_one("CTIMER_OFF", "yes", "ctimer: CTIMER_OFF='yes' is not 0 or 1; using 0");
    expect_one("CTIMER_ON_FULL", "wait", "ctimer: CTIMER_ON_FULL='wait' is not 'block' or 'drop'; using block");
    expect_one("CTIMER_MIN_NS", "-1", "ctimer: CTIMER_MIN_NS='-1' is not an integer >= 0; using 5000");
    expect_one("CTIMER_MIN_NS", "1.5", "ctimer: CTIMER_MIN_NS='1.5' is not an integer >= 0; using 5000");
    expect_one("CTIMER_MODE", "full", "ctimer: CTIMER_MODE='full' is not 'trace' or 'summary'; using trace");
    expect_one("CTIMER_BUFFER_KB", "64",
               "ctimer: CTIMER_BUFFER_KB='64' is not an integer in 128..131072; using 4096");
    expect_one("CTIMER_BUSY_MS", "-5", "ctimer: CTIMER_BUSY_MS='-5' is not an integer in 0..86400000; using 10000");
    expect_one("CTIMER_RUN", "bad name",
               "ctimer: CTIMER_RUN='bad name' is not a valid table name ([A-Za-z_][A-Za-z0-9_]{0,47}); "
               "using a generated name");
    expect_one("CTIMER_RUN", "1abc",
               "ctimer: CTIMER_RUN='1abc' is not a valid table name ([A-Za-z_][A-Za-z0-9_]{0,47}); "
               "using a generated name");
    expect_one("CTIMER_RUN", "x\"; DROP TABLE runs; --",
               "ctimer: CTIMER_RUN='x\"; DROP TABLE runs; --' is not a valid table name "
               "([A-Za-z_][A-Za-z0-9_]{0,47}); using a generated name");
}
END_TEST

START_TEST(message_shows_unprintable_and_long_values_on_one_line)
{
    expect_one("CTIMER_MODE", "a\nb", "ctimer: CTIMER_MODE='a?b' is not 'trace' or 'summary'; using trace");
    char longv[200];
    memset(longv, 'z', sizeof longv - 1);
    longv[sizeof longv - 1] = 0;
    struct env e = {{"CTIMER_MODE", longv, NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 1);
    ck_assert_ptr_nonnull(strstr(m.lines[0], "zzz...'"));
    ck_assert_uint_lt(strlen(m.lines[0]), 160);
    ctimer_config_free(&c);
}
END_TEST

START_TEST(several_bad_values_one_line_per_variable)
{
    struct env e = {{"CTIMER_BATCH", "x", "CTIMER_MODE", "y", "CTIMER_OFF", "2", "CTIMER_DB", "/ok.db", NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 3);
    ck_assert_ptr_nonnull(strstr(m.lines[0], "CTIMER_OFF"));
    ck_assert_ptr_nonnull(strstr(m.lines[1], "CTIMER_BATCH"));
    ck_assert_ptr_nonnull(strstr(m.lines[2], "CTIMER_MODE"));
    ck_assert_str_eq(c.db, "/ok.db");
    ctimer_config_free(&c);
}
END_TEST

START_TEST(empty_values_are_unset)
{
    struct env e = {{"CTIMER_BATCH", "", "CTIMER_RUN", "", "CTIMER_DB", "", "CTIMER_OFF", "", NULL}};
    struct messages m;
    struct ctimer_config c;
    ck_assert_int_eq(parse(&c, &e, &m), 0);
    ck_assert_int_eq(c.batch, 65536);
    ck_assert_ptr_null(c.run);
    ck_assert_str_eq(c.db, "./ctimer.db");
    ctimer_config_free(&c);
}
END_TEST

START_TEST(identifier_rule)
{
    ck_assert(ctimer_valid_identifier("a", 48));
    ck_assert(ctimer_valid_identifier("_", 48));
    ck_assert(ctimer_valid_identifier("Run_2026_x", 48));
    char name[50];
    memset(name, 'a', 48);
    name[48] = 0;
    ck_assert(ctimer_valid_identifier(name, 48));
    name[48] = 'a';
    name[49] = 0;
    ck_assert(!ctimer_valid_identifier(name, 48));
    ck_assert(!ctimer_valid_identifier("", 48));
    ck_assert(!ctimer_valid_identifier("9lives", 48));
    ck_assert(!ctimer_valid_identifier("a-b", 48));
    ck_assert(!ctimer_valid_identifier("a b", 48));
    ck_assert(!ctimer_valid_identifier("é", 48));
    ck_assert(!ctimer_valid_identifier(NULL, 48));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("env");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, good_values);
    tcase_add_test(tc, bad_values_one_line_each);
    tcase_add_test(tc, message_shows_unprintable_and_long_values_on_one_line);
    tcase_add_test(tc, several_bad_values_one_line_per_variable);
    tcase_add_test(tc, empty_values_are_unset);
    tcase_add_test(tc, identifier_rule);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

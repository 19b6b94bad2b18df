/* config.c — environment parsing.  See config.h and the README's "Configuration". */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ctimer_getenv_process(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

int ctimer_valid_identifier(const char *s, size_t max_len)
{
    if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        char ch = *p;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return 0;
    }
    return n <= max_len;
}

struct parser {
    ctimer_getenv_fn get;
    void *ctx;
    ctimer_message_fn msg;
    void *msg_ctx;
    int complaints;
};

static const char *lookup(struct parser *p, const char *name)
{
    const char *v = p->get(name, p->ctx);
    return (v && *v) ? v : NULL;
}

/*
 * One line naming the variable, its value and what is used instead.  The value is shown with
 * non-printable bytes replaced and long values cut, so the message stays one readable line.
 */
static void complain(struct parser *p, const char *name, const char *value, const char *problem,
                     const char *using)
{
    p->complaints++;
    if (!p->msg)
        return;
    char shown[80];
    size_t n = 0;
    for (const char *s = value; *s && n < 64; s++)
        shown[n++] = (*s >= 0x20 && *s < 0x7f && *s != '\'') ? *s : '?';
    if (value[n] && strlen(value) > n)
        memcpy(shown + n, "...", 3), n += 3;
    shown[n] = 0;
    char line[256];
    snprintf(line, sizeof line, "ctimer: %s='%s' %s; using %s", name, shown, problem, using);
    p->msg(line, p->msg_ctx);
}

/* Strict decimal: optional sign, digits, nothing else (no spaces, no suffix). */
static int parse_ll(const char *s, long long *out)
{
    const char *d = s + (*s == '+' || *s == '-');
    if (*d < '0' || *d > '9')
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static long long int_var(struct parser *p, const char *name, long long lo, long long hi, long long def)
{
    const char *v = lookup(p, name);
    if (!v)
        return def;
    long long x;
    if (parse_ll(v, &x) == 0 && x >= lo && x <= hi)
        return x;
    char problem[96], using[32];
    if (hi == LLONG_MAX)
        snprintf(problem, sizeof problem, "is not an integer >= %lld", lo);
    else
        snprintf(problem, sizeof problem, "is not an integer in %lld..%lld", lo, hi);
    snprintf(using, sizeof using, "%lld", def);
    complain(p, name, v, problem, using);
    return def;
}

/* A variable that takes one of the words in `words` (NULL-terminated); returns its index, 0 (the
 * default) when unset or bad. */
static int choice_list(struct parser *p, const char *name, const char *const *words)
{
    const char *v = lookup(p, name);
    if (!v)
        return 0;
    char problem[128] = "is not";
    int i;
    for (i = 0; words[i]; i++) {
        if (strcmp(v, words[i]) == 0)
            return i;
        size_t n = strlen(problem);
        snprintf(problem + n, sizeof problem - n, "%s '%s'", i == 0 ? "" : words[i + 1] ? "," : " or",
                 words[i]);
    }
    complain(p, name, v, problem, words[0]);
    return 0;
}

/* A variable that takes one of two words; returns 0 for `a` (the default), 1 for `b`. */
static int choice_var(struct parser *p, const char *name, const char *a, const char *b)
{
    const char *const words[] = {a, b, NULL};
    return choice_list(p, name, words);
}

void ctimer_config_free(struct ctimer_config *c)
{
    free(c->db);
    free(c->run);
    free(c->app_id);
    free(c->recorder);
    c->db = c->run = c->app_id = c->recorder = NULL;
}

int ctimer_config_parse(struct ctimer_config *c, ctimer_getenv_fn get, void *ctx, ctimer_message_fn msg,
                        void *msg_ctx)
{
    struct parser p = {get, ctx, msg, msg_ctx, 0};
    memset(c, 0, sizeof *c);

    const char *off = lookup(&p, "CTIMER_OFF");
    if (off && strcmp(off, "1") == 0)
        c->off = 1;
    else if (off && strcmp(off, "0") != 0)
        complain(&p, "CTIMER_OFF", off, "is not 0 or 1", "0");

    c->batch = (long)int_var(&p, "CTIMER_BATCH", 1, CTIMER_MAX_BATCH, CTIMER_DEFAULT_BATCH);
    c->on_full = choice_var(&p, "CTIMER_ON_FULL", "block", "drop") ? CTIMER_FULL_DROP : CTIMER_FULL_BLOCK;
    c->min_ns = (int64_t)int_var(&p, "CTIMER_MIN_NS", 0, LLONG_MAX, CTIMER_DEFAULT_MIN_NS);
    c->mode = choice_var(&p, "CTIMER_MODE", "trace", "summary") ? CTIMER_MODE_SUMMARY : CTIMER_MODE_TRACE;
    c->buffer_kb = (long)int_var(&p, "CTIMER_BUFFER_KB", CTIMER_MIN_BUFFER_KB, CTIMER_MAX_BUFFER_KB,
                                 CTIMER_DEFAULT_BUFFER_KB);
    c->busy_ms = (long)int_var(&p, "CTIMER_BUSY_MS", 0, CTIMER_MAX_BUSY_MS, CTIMER_DEFAULT_BUSY_MS);
    static const char *const timings[] = {CTIMER_TIMING_NAMES, NULL};
    c->timing = choice_list(&p, "CTIMER_TIMING", timings);
    c->sample = int_var(&p, "CTIMER_SAMPLE", 0, CTIMER_MAX_SAMPLE, CTIMER_DEFAULT_SAMPLE);
    c->adapt_calls = int_var(&p, "CTIMER_ADAPT_CALLS", 1, LLONG_MAX, CTIMER_DEFAULT_ADAPT_CALLS);
    c->adapt_ns = int_var(&p, "CTIMER_ADAPT_NS", 1, LLONG_MAX, CTIMER_DEFAULT_ADAPT_NS);

    const char *db = lookup(&p, "CTIMER_DB");
    if (db && strlen(db) >= CTIMER_DB_PATH_MAX) {
        complain(&p, "CTIMER_DB", db, "is too long (4095 bytes at most)", CTIMER_DEFAULT_DB);
        db = NULL;
    }
    c->db = strdup(db ? db : CTIMER_DEFAULT_DB);

    const char *run = lookup(&p, "CTIMER_RUN");
    if (run && ctimer_valid_identifier(run, CTIMER_TABLE_MAX))
        c->run = strdup(run);
    else if (run)
        complain(&p, "CTIMER_RUN", run, "is not a valid table name ([A-Za-z_][A-Za-z0-9_]{0,47})",
                 "a generated name");

    const char *app = lookup(&p, "CTIMER_APP_ID");
    if (app)
        c->app_id = strdup(app);

    const char *rec = lookup(&p, "CTIMER_RECORDER");
    if (rec)
        c->recorder = strdup(rec);

    if (!c->db || (run && c->run == NULL && ctimer_valid_identifier(run, CTIMER_TABLE_MAX)) ||
        (app && !c->app_id) || (rec && !c->recorder)) {
        ctimer_config_free(c);
        return -1;
    }
    return p.complaints;
}

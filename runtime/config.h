/*
 * config.h — the runtime's settings, read from the environment once per run.
 *
 * Parsing is pure: the environment is read through an injected lookup and every complaint goes to an
 * injected sink as one line, so tests can drive it without touching the process environment.
 * An empty variable counts as unset.  A bad value never stops the program: the default is used.
 */
#ifndef CTIMER_CONFIG_H
#define CTIMER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum ctimer_on_full { CTIMER_FULL_BLOCK = 0, CTIMER_FULL_DROP = 1 };
enum ctimer_mode { CTIMER_MODE_TRACE = 0, CTIMER_MODE_SUMMARY = 1 };
/* CTIMER_TIMING: how calls are timed (docs/runtime-design.md, "Counted calls").
 *   adaptive  every function starts timed; one seen CTIMER_ADAPT_CALLS times with a mean under
 *             CTIMER_ADAPT_NS becomes counted (one call in CTIMER_SAMPLE still timed), and goes
 *             back to timed when its sampled calls grow long
 *   all       every call timed: the full trace, as before counted calls existed
 *   counted   every function counted from the start (sampled), never back to timed */
enum ctimer_timing { CTIMER_TIMING_ADAPTIVE = 0, CTIMER_TIMING_ALL = 1, CTIMER_TIMING_COUNTED = 2 };
#define CTIMER_TIMING_NAMES "adaptive", "all", "counted" /* in enum order */

#define CTIMER_DEFAULT_DB "./ctimer.db"
#define CTIMER_DEFAULT_BATCH 65536
/* Calls shorter than 5 us get no row of their own, only exact aggregates: XRay FDR's default
 * threshold.  It keeps a default run's database small (a few MB for 80 M calls of SQLite) while the
 * rows that remain are the calls worth a timeline. */
#define CTIMER_DEFAULT_MIN_NS 5000
#define CTIMER_MAX_BATCH 10000000
#define CTIMER_DEFAULT_BUFFER_KB 4096
#define CTIMER_MIN_BUFFER_KB 128
#define CTIMER_MAX_BUFFER_KB 131072 /* 128 MiB per thread: CTIMER_RING_MAX chunks (shm.h) */
#define CTIMER_DEFAULT_BUSY_MS 10000
#define CTIMER_MAX_BUSY_MS 86400000 /* one day */
#define CTIMER_TABLE_MAX 48          /* longest CTIMER_RUN */
/* One counted call in 64 is timed: the estimate of a function's mean then rests on 1.6 % of its
 * calls, for a probe cost spread over 64 calls (docs/runtime-design.md, "Counted calls"). */
#define CTIMER_DEFAULT_SAMPLE 64
#define CTIMER_MAX_SAMPLE 1000000000
/* Counted once seen 10 000 times with a mean under 1 us (the rule; bench/README.md). */
#define CTIMER_DEFAULT_ADAPT_CALLS 10000
#define CTIMER_DEFAULT_ADAPT_NS 1000
#define CTIMER_DB_PATH_MAX 4096      /* CTIMER_DB, terminator included (shm.h's db[]) */

struct ctimer_config {
    char *db;       /* CTIMER_DB, or the default */
    char *run;      /* CTIMER_RUN when it is a valid table name, else NULL (a name is generated) */
    char *app_id;   /* CTIMER_APP_ID, or NULL: the program name is used */
    int off;        /* CTIMER_OFF=1 */
    long batch;     /* CTIMER_BATCH: rows per transaction */
    int on_full;    /* enum ctimer_on_full */
    int64_t min_ns; /* CTIMER_MIN_NS: shortest call written as a row (trace mode) */
    int mode;       /* enum ctimer_mode */
    long buffer_kb; /* CTIMER_BUFFER_KB: per-thread buffer bound */
    long busy_ms;   /* CTIMER_BUSY_MS: how long the recorder waits for another connection's lock */
    char *recorder; /* CTIMER_RECORDER: the recorder's path, or NULL (beside the plugin or library) */
    int timing;     /* enum ctimer_timing */
    int64_t sample; /* CTIMER_SAMPLE: one counted call in this many is timed; 0 never */
    int64_t adapt_calls, adapt_ns; /* CTIMER_ADAPT_CALLS, CTIMER_ADAPT_NS: the adaptive rule */
};

typedef const char *(*ctimer_getenv_fn)(const char *name, void *ctx);
typedef void (*ctimer_message_fn)(const char *line, void *ctx);

/*
 * Fills *c from the variables `get` returns (NULL or "" = unset).  Each bad value produces exactly one
 * call of `msg` (when not NULL) with a line like
 *   ctimer: CTIMER_BATCH='abc' is not an integer in 1..10000000; using 65536
 * Returns the number of such messages, or -1 if memory ran out (then *c is freed: do not record).
 */
int ctimer_config_parse(struct ctimer_config *c, ctimer_getenv_fn get, void *ctx, ctimer_message_fn msg,
                        void *msg_ctx);
void ctimer_config_free(struct ctimer_config *c);

/* 1 if s matches [A-Za-z_][A-Za-z0-9_]{0,max_len-1}. */
int ctimer_valid_identifier(const char *s, size_t max_len);

/* The lookup to use in production: getenv(). */
const char *ctimer_getenv_process(const char *name, void *ctx);

#endif /* CTIMER_CONFIG_H */

/*
 * ctimer.h — the contract between the ctimer GCC plugin, instrumented code and libctimer.
 *
 * The plugin emits one `struct ctimer_desc` per instrumented function (kind FUNCTION) and one per
 * struct-method call site (kind METHOD), in the writable section CTIMER_DESC_SECTION.  It inserts
 *
 *     t0 = __ctimer_enter(&desc);      on the edge out of the entry block (or before a method call)
 *     __ctimer_exit(t0);               before every return (or after the method call)
 *     __ctimer_jump();                 before a longjmp
 *
 * (or, for functions named by cpu= or args=, the capturing entry points below)
 *
 * and, once per translation unit, a constructor calling
 *
 *     __ctimer_register(__start_ctimer_desc, __stop_ctimer_desc);
 *
 * so that the runtime can list every instrumented function, even one never called.  The linker
 * defines __start_/__stop_ for each module (executable or shared object) that holds the section.
 *
 * The layout below is ABI: the plugin builds the same record field by field (plugin/descriptors.cc).
 * Change both together and bump CTIMER_ABI_VERSION.
 */
#ifndef CTIMER_H
#define CTIMER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CTIMER_ABI_VERSION 1
#define CTIMER_DESC_SECTION "ctimer_desc"

/* libctimer is built with -fvisibility=hidden: only what is declared with CTIMER_API is exported. */
#if defined(__GNUC__)
#define CTIMER_API __attribute__((visibility("default")))
#else
#define CTIMER_API
#endif

enum ctimer_kind {
    CTIMER_KIND_FUNCTION = 0, /* a standalone function, timed at its entry and exits */
    CTIMER_KIND_METHOD = 1,   /* a call through a struct's function-pointer field, timed at the call site */
    CTIMER_KIND_CALL = 2      /* a direct call of a library function (calls=), timed at the call site */
};

/* 48 bytes, 8-byte aligned: a multiple of its alignment, so the section has no holes. */
struct ctimer_desc {
    const char *name;   /* function name; for a method, the field name; for a call, the callee */
    const char *strct;  /* method: struct tag or typedef name ("" if anonymous); function: NULL */
    const char *file;   /* source file as given to the compiler */
    const char *caller; /* method, call: the function holding the call site; function: NULL */
    uint32_t line;      /* function: line of its definition; method, call: line of the call */
    uint16_t kind;      /* enum ctimer_kind */
    uint16_t abi;       /* CTIMER_ABI_VERSION of the plugin that emitted it */
    uint32_t id;        /* 0 from the plugin; __ctimer_register writes the function's count slot here
                           (1 .. CTIMER_COUNT_MAX-1, or 0: never counted), while its module is mapped */
    uint32_t flags;     /* CTIMER_FLAG_*, set by the plugin */
};

/* flags: count=PATTERNS matched: counted from its thread's start and never timed (the inline test
 * the plugin emits skips the sampling countdown). */
#define CTIMER_FLAG_COUNT 1u
#define CTIMER_FLAGS_KNOWN CTIMER_FLAG_COUNT

/*
 * Counted calls (docs/runtime-design.md, "Counted calls").  Each recording thread has an array of
 * CTIMER_COUNT_MAX words in the shared memory, indexed by desc->id; before its thread is set up,
 * `counts` points at a read-only array of zeros.  The plugin emits inline, at each entry (x86-64):
 *
 *     w = counts[desc.id];
 *     if (w & CTIMER_COUNT_ON)                          counted on this thread (the recorder says so)
 *         if ((w & CTIMER_COUNT_NOSAMPLE) || --countdown >= 0)   not this thread's sample
 *             { counts[desc.id] += 1; t0 = 0; goto body; }      one add instruction: signal-safe
 *     t0 = __ctimer_enter(&desc);
 *   body: ...
 *     if (t0 != 0) __ctimer_exit(t0);
 *
 * The low bits of a word count the calls that were not timed; only the recorder sets or clears
 * CTIMER_COUNT_ON (an atomic or / and on a word the thread does not write while it is clear).
 * __ctimer_enter re-arms a negative countdown with a random gap (mean CTIMER_SAMPLE - 1), so
 * sampling follows no program pattern.
 */
#define CTIMER_COUNT_MAX 65536u
#define CTIMER_COUNT_ON (UINT64_C(1) << 63)
#define CTIMER_COUNT_NOSAMPLE (UINT64_C(1) << 62)
#define CTIMER_COUNT_MASK (CTIMER_COUNT_NOSAMPLE - 1)

struct ctimer_counts_tls {
    uint64_t *counts;  /* this thread's count words (shared memory), or the zero array */
    int64_t countdown; /* counted calls left before the next sampled (timed) one */
};
/* The plugin's inline test reads it with the initial-exec TLS model (no __tls_get_addr call).
 * Layout is ABI: the inline code uses offsets 0 and 8. */
CTIMER_API extern __thread struct ctimer_counts_tls __ctimer_counts __attribute__((tls_model("initial-exec")));

/*
 * The hot path.  __ctimer_enter returns an opaque timestamp that must be handed back to the matching
 * __ctimer_exit.  It returns 0 when nothing is recorded (CTIMER_OFF=1, or after shutdown); an exit
 * given 0 records nothing.
 */
CTIMER_API uint64_t __ctimer_enter(struct ctimer_desc *desc);
CTIMER_API void __ctimer_exit(uint64_t t0);
/*
 * Entry points for functions that capture more than their time (plugin options cpu= and args=).
 * Functions without those options never reach them: they cost nothing elsewhere.
 *
 *     t0 = __ctimer_enter_cpu(&desc);     ...   __ctimer_exit_cpu(t0);
 *         the thread's CPU time at entry and exit as well (cpu=)
 *     t0 = __ctimer_enter_args(&desc, flags, a0, a1, a2, a3);   ...   __ctimer_exit_args(t0, flags, ret);
 *         up to four arguments and the return value, converted to 64 bits (args=); with
 *         CTIMER_CAPTURE_CPU in flags, the CPU time too
 *
 * flags says what is captured: CTIMER_CAPTURE_ARG(i) for argument i (0..3), CTIMER_CAPTURE_RET for
 * the return value, CTIMER_CAPTURE_CPU for the CPU time.  Values not captured are passed as 0.
 */
#define CTIMER_CAPTURE_ARG(i) (1u << (i))
#define CTIMER_CAPTURE_ARGS_MASK 0xfu
#define CTIMER_CAPTURE_RET (1u << 4)
#define CTIMER_CAPTURE_CPU (1u << 5)
CTIMER_API uint64_t __ctimer_enter_cpu(struct ctimer_desc *desc);
CTIMER_API void __ctimer_exit_cpu(uint64_t t0);
CTIMER_API uint64_t __ctimer_enter_args(struct ctimer_desc *desc, uint32_t flags, uint64_t a0, uint64_t a1,
                                        uint64_t a2, uint64_t a3);
CTIMER_API void __ctimer_exit_args(uint64_t t0, uint32_t flags, uint64_t ret);
/*
 * The plugin inserts this before every call of longjmp, _longjmp, siglongjmp and __longjmp_chk in an
 * instrumented function: the frames the jump abandons are closed as unfinished at the next call,
 * also the one at the very stack position the next call takes (a sibling, not a parent).
 */
CTIMER_API void __ctimer_jump(void);
/*
 * And __ctimer_exec(1) before every call of an exec function, __ctimer_exec(0) after it (the exec
 * failed): a process that ends while an exec is under way was replaced, not killed, and its run
 * says end_reason = 'exec'.
 */
CTIMER_API void __ctimer_exec(int starting);

/* Called by the constructor the plugin emits in each instrumented translation unit. */
CTIMER_API void __ctimer_register(struct ctimer_desc *start, struct ctimer_desc *stop);
/* Also called by that constructor: where the plugin that compiled it expects ctimer-recorder (the
 * file beside the plugin).  The first path given wins; CTIMER_RECORDER overrides it. */
CTIMER_API void __ctimer_recorder_hint(const char *path);

/*
 * Public API for programs that want control.  Everything works without calling any of these.
 */
/*
 * Hands the calling thread's buffered calls to the writer and waits until everything queued so far
 * (every thread's full buffers, this thread's partial one, and the per-function aggregates) is
 * committed.  Other threads' partially filled buffers are written when they fill, when those threads
 * end, or at exit.  Returns at once when nothing is recorded.
 */
CTIMER_API void ctimer_flush(void);
/* The name of this run's table, or NULL when nothing is recorded.  Valid until exit.  Calling it
 * starts the run if no instrumented function has been called yet. */
CTIMER_API const char *ctimer_run_table(void);

#ifdef __cplusplus
}
#endif

#endif /* CTIMER_H */

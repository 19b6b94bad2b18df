/*
 * stream.h — the event stream an application thread writes and the writer thread decodes.
 * See docs/runtime-design.md, "Event stream".
 *
 * A chunk is CTIMER_CHUNK_WORDS 64-bit words.  Events, back to back:
 *
 *   enter   [desc pointer, timestamp, stack pointer]   word 0 has bit 63 clear and is > CTIMER_MARK_MAX
 *   exit    [t0 | CTIMER_EXIT_BIT, timestamp]          t0 is what the matching enter returned
 *   gap     [CTIMER_MARK_GAP, n]                       drop mode: n enter events were discarded here
 *   end     [CTIMER_MARK_END, timestamp]               the thread ended (written by its key destructor)
 *   lost    [CTIMER_MARK_LOST, n]                      n calls were not recorded: a signal handler made
 *                                                      them while this thread was in the slow path
 *   jump    [CTIMER_MARK_JUMP, stack pointer]          an instrumented function is about to longjmp
 *   cpu in  [CTIMER_MARK_CPU_IN, thread CPU ns]        right after an enter: the thread's CPU time at
 *                                                      the call's entry
 *   args    [CTIMER_MARK_ARGS, flags, a0, a1, a2, a3]  right after an enter (after its cpu-in marker if
 *                                                      any): its arguments (flags: ctimer.h's
 *                                                      CTIMER_CAPTURE_ARG bits; the others are 0)
 *   ret     [CTIMER_MARK_RET, value]                   right before an exit (before its cpu-out marker
 *                                                      if any): the call's return value
 *   cpu out [CTIMER_MARK_CPU_OUT, thread CPU ns]       right before an exit: the CPU time at its exit
 *   tcpu    [CTIMER_MARK_THREAD_CPU, thread CPU ns, timestamp]
 *                                                      the thread's CPU time and the time: first when
 *                                                      it starts recording, then at its end (and at
 *                                                      the exit hand-shake for the thread making it)
 *
 * An enter or exit and the markers that belong to it are claimed together and written as one event
 * (its first word last): nothing, not even a signal handler's events, comes between them.
 *
 * Word 0 of every event is stored last, with release order: a word 0 of zero means "reserved but not
 * yet written".  Chunks are zeroed before they are handed (back) to a producer, so the writer can read
 * the prefix of a chunk that a live thread is still filling (at shutdown) and stop at the first
 * incomplete event.
 */
#ifndef CTIMER_STREAM_H
#define CTIMER_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define CTIMER_CHUNK_BYTES ((size_t)64 * 1024)
#define CTIMER_CHUNK_WORDS (CTIMER_CHUNK_BYTES / sizeof(uint64_t))
/*
 * The hot path takes the fast route while pos < end, and end = chunk + WORDS - SLACK.  A fast-path
 * enter starts at most at end-1 and uses 3 words.  A signal handler landing between the hot path's
 * test and its claim (hotpath.c) may push pos up to 2 words past end first, and the claim then takes
 * 3 more, so at most end+5 is used and 5 words are left: room for the 2-word end marker the
 * thread-exit destructor appends without a new chunk, and the 3-word tcpu marker before it.
 * (Each further nested handler level in that one-instruction window would need 3 more words: it
 * takes a handler interrupted by another there.)  A group of n > 3 words (capture.c) takes the fast
 * route only while pos + n - 3 < end, so it ends where a 3-word enter could.
 */
#define CTIMER_CHUNK_SLACK 10

#define CTIMER_EXIT_BIT (UINT64_C(1) << 63)
#define CTIMER_MARK_GAP UINT64_C(1)
#define CTIMER_MARK_END UINT64_C(2)
#define CTIMER_MARK_LOST UINT64_C(3)
#define CTIMER_MARK_JUMP UINT64_C(4)
#define CTIMER_MARK_CPU_IN UINT64_C(5)
#define CTIMER_MARK_ARGS UINT64_C(6)
#define CTIMER_MARK_RET UINT64_C(7)
#define CTIMER_MARK_CPU_OUT UINT64_C(8)
#define CTIMER_MARK_THREAD_CPU UINT64_C(9)
/* Word-0 values 1..CTIMER_MARK_MAX (never the address of a descriptor) are markers. */
#define CTIMER_MARK_MAX UINT64_C(4095)

#define CTIMER_ENTER_WORDS 3
#define CTIMER_EXIT_WORDS 2
#define CTIMER_MARK_WORDS 2
#define CTIMER_ARGS_WORDS 6
#define CTIMER_TCPU_WORDS 3
/* The longest group of events claimed at once: enter, cpu and args markers. */
#define CTIMER_GROUP_MAX_WORDS (CTIMER_ENTER_WORDS + CTIMER_MARK_WORDS + CTIMER_ARGS_WORDS)

/* Stores an event whose words 1.. are already written: word 0 last, so a reader that sees it non-zero
 * (with acquire) sees the whole event. */
static inline void ctimer_publish_word0(uint64_t *p, uint64_t w0)
{
    __atomic_store_n(p, w0, __ATOMIC_RELEASE);
}

/* Size in words of the event starting with word w0 (w0 != 0). */
static inline size_t ctimer_event_words(uint64_t w0)
{
    if (w0 & CTIMER_EXIT_BIT)
        return CTIMER_EXIT_WORDS;
    if (w0 == CTIMER_MARK_ARGS)
        return CTIMER_ARGS_WORDS;
    if (w0 == CTIMER_MARK_THREAD_CPU)
        return CTIMER_TCPU_WORDS;
    if (w0 <= CTIMER_MARK_MAX)
        return CTIMER_MARK_WORDS;
    return CTIMER_ENTER_WORDS;
}

#endif /* CTIMER_STREAM_H */

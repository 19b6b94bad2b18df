/* test_queue.c — the shared rings and index stacks (shm.h) and stream helpers (queue.c). */
#include <pthread.h>

#include "queue.h"
#include "testutil.h"

START_TEST(ring_fifo_full_and_empty)
{
    static struct ctimer_shm_ring r; /* zeroed: empty */
    uint64_t e;
    ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), -1); /* empty */
    for (uint32_t i = 0; i < 4; i++)
        ck_assert_int_eq(ctimer_shm_ring_push(&r, 4, ctimer_ring_entry(i, i + 10)), 0);
    ck_assert_uint_eq(ctimer_shm_ring_count(&r), 4);
    ck_assert_int_eq(ctimer_shm_ring_push(&r, 4, ctimer_ring_entry(9, 99)), -1); /* full */
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), 0);
        ck_assert_uint_eq((uint32_t)e, i);
        ck_assert_uint_eq(e >> 32, i + 10);
    }
    ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), -1);
    ck_assert_uint_eq(ctimer_shm_ring_count(&r), 0);
    /* wrap-around keeps order */
    for (uint32_t round = 0; round < 10; round++) {
        ck_assert_int_eq(ctimer_shm_ring_push(&r, 4, ctimer_ring_entry(1, round)), 0);
        ck_assert_int_eq(ctimer_shm_ring_push(&r, 4, ctimer_ring_entry(2, round + 100)), 0);
        ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), 0);
        ck_assert_uint_eq(e >> 32, round);
        ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), 0);
        ck_assert_uint_eq(e >> 32, round + 100);
    }
}
END_TEST

START_TEST(ring_rejects_a_scribbled_tail)
{
    static struct ctimer_shm_ring r;
    uint64_t e;
    atomic_store(&r.tail, 1000); /* more entries than the ring holds: a consumer must not believe it */
    ck_assert_int_eq(ctimer_shm_ring_pop(&r, 4, &e), -1);
}
END_TEST

/*
 * A producer and a consumer thread pass N chunks through a small "full" ring and recycle them
 * through a "free" ring, exactly as an application thread and the recorder do.  Every chunk carries
 * its sequence number and a checksum of its contents.
 */
#define HANDOFF_CHUNKS 20000
#define HANDOFF_POOL 4
#define HANDOFF_WORDS 64

struct handoff {
    struct ctimer_shm_ring full, free;
    uint64_t pool[HANDOFF_POOL][HANDOFF_WORDS];
    uint64_t consumed_sum, produced_sum;
    int errors;
};

static uint64_t fill_chunk(uint64_t *c, uint64_t seq)
{
    uint64_t sum = 0;
    c[0] = seq;
    for (int i = 1; i < HANDOFF_WORDS; i++) {
        c[i] = seq * 2654435761u + (uint64_t)i;
        sum += c[i];
    }
    return sum;
}

static void *producer(void *arg)
{
    struct handoff *h = arg;
    for (uint64_t seq = 0; seq < HANDOFF_CHUNKS; seq++) {
        uint64_t e;
        while (ctimer_shm_ring_pop(&h->free, HANDOFF_POOL, &e) != 0)
            sched_yield();
        uint64_t sum = fill_chunk(h->pool[(uint32_t)e], seq);
        h->produced_sum += sum;
        e = ctimer_ring_entry((uint32_t)e, (uint32_t)(sum & 0xffff)); /* carries the low checksum bits too */
        while (ctimer_shm_ring_push(&h->full, HANDOFF_POOL, e) != 0)
            sched_yield();
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct handoff *h = arg;
    for (uint64_t expect = 0; expect < HANDOFF_CHUNKS; expect++) {
        uint64_t e;
        while (ctimer_shm_ring_pop(&h->full, HANDOFF_POOL, &e) != 0)
            sched_yield();
        uint64_t *c = h->pool[(uint32_t)e];
        uint64_t sum = 0;
        for (int i = 1; i < HANDOFF_WORDS; i++)
            sum += c[i];
        if (c[0] != expect || (sum & 0xffff) != e >> 32)
            h->errors++;
        h->consumed_sum += sum;
        memset(c, 0, HANDOFF_WORDS * sizeof(uint64_t));
        while (ctimer_shm_ring_push(&h->free, HANDOFF_POOL, (uint32_t)e) != 0)
            sched_yield();
    }
    return NULL;
}

START_TEST(ring_handoff_between_threads_keeps_order_and_content)
{
    static struct handoff h;
    for (uint32_t i = 0; i < HANDOFF_POOL; i++)
        ck_assert_int_eq(ctimer_shm_ring_push(&h.free, HANDOFF_POOL, i), 0);
    pthread_t p, c;
    ck_assert_int_eq(pthread_create(&c, NULL, consumer, &h), 0);
    ck_assert_int_eq(pthread_create(&p, NULL, producer, &h), 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    ck_assert_int_eq(h.errors, 0);
    ck_assert_uint_eq(h.consumed_sum, h.produced_sum);
    ck_assert_uint_eq(ctimer_shm_ring_count(&h.full), 0);
    ck_assert_uint_eq(ctimer_shm_ring_count(&h.free), HANDOFF_POOL);
}
END_TEST

/* The free-chunk stack: LIFO, empty is -1, and concurrent pops and pushes lose or duplicate nothing. */
#define STACK_N 64
static _Atomic uint64_t stack_top;
static _Atomic uint32_t stack_links[STACK_N];
static _Atomic int stack_owned[STACK_N];
static _Atomic int stack_errors;

static void *stack_churn(void *arg)
{
    (void)arg;
    for (int k = 0; k < 200000; k++) {
        int64_t i = ctimer_stack_pop(&stack_top, stack_links, STACK_N);
        if (i < 0)
            continue;
        if (atomic_fetch_add(&stack_owned[i], 1) != 0)
            atomic_fetch_add(&stack_errors, 1); /* popped twice */
        atomic_fetch_sub(&stack_owned[i], 1);
        ctimer_stack_push(&stack_top, stack_links, (uint32_t)i);
    }
    return NULL;
}

START_TEST(index_stack_is_lifo_and_safe_under_contention)
{
    ck_assert_int_eq(ctimer_stack_pop(&stack_top, stack_links, STACK_N), -1);
    ck_assert_int_eq(ctimer_stack_push(&stack_top, stack_links, 3), 0);
    ck_assert_int_eq(ctimer_stack_push(&stack_top, stack_links, 7), 0);
    ck_assert_int_eq(ctimer_stack_pop(&stack_top, stack_links, STACK_N), 7);
    ck_assert_int_eq(ctimer_stack_pop(&stack_top, stack_links, STACK_N), 3);
    ck_assert_int_eq(ctimer_stack_pop(&stack_top, stack_links, STACK_N), -1);
    for (uint32_t i = 0; i < STACK_N; i++)
        ctimer_stack_push(&stack_top, stack_links, i);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, stack_churn, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&stack_errors), 0);
    int seen[STACK_N] = {0}, n = 0;
    int64_t i;
    while ((i = ctimer_stack_pop(&stack_top, stack_links, STACK_N)) >= 0) {
        ck_assert_int_eq(seen[i]++, 0);
        n++;
    }
    ck_assert_int_eq(n, STACK_N); /* every index came back exactly once */
}
END_TEST

START_TEST(count_enters_counts_enters_and_gaps)
{
    static struct tu_stream s;
    s.n = 0;
    int d;
    tu_mark(&s, CTIMER_MARK_GAP, 7); /* 7 already lost */
    tu_enter(&s, &d, 100, 1000);
    tu_enter(&s, &d, 110, 900);
    tu_exit(&s, 110, 120);
    tu_enter(&s, &d, 130, 900);
    ck_assert_uint_eq(ctimer_count_enters(s.w, s.n), 10);
    /* an unwritten (zero) event ends the count; so does a truncated one */
    ck_assert_uint_eq(ctimer_count_enters(s.w, s.n - 1), 9);
    s.w[2] = 0;
    ck_assert_uint_eq(ctimer_count_enters(s.w, s.n), 7);
}
END_TEST

START_TEST(event_sizes)
{
    ck_assert_uint_eq(ctimer_event_words(CTIMER_EXIT_BIT | 5), CTIMER_EXIT_WORDS);
    ck_assert_uint_eq(ctimer_event_words(CTIMER_MARK_GAP), CTIMER_MARK_WORDS);
    ck_assert_uint_eq(ctimer_event_words(CTIMER_MARK_END), CTIMER_MARK_WORDS);
    ck_assert_uint_eq(ctimer_event_words(0x400000), CTIMER_ENTER_WORDS);
    /* the slack leaves room for an end marker after any fast-path enter */
    ck_assert_int_ge(CTIMER_CHUNK_SLACK - 1 - CTIMER_ENTER_WORDS + CTIMER_ENTER_WORDS, CTIMER_MARK_WORDS);
    ck_assert_uint_eq(CTIMER_CHUNK_WORDS * sizeof(uint64_t), 65536);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("ring");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ring_rejects_a_scribbled_tail);
    tcase_add_test(tc, index_stack_is_lifo_and_safe_under_contention);
    tcase_add_test(tc, ring_fifo_full_and_empty);
    tcase_add_test(tc, ring_handoff_between_threads_keeps_order_and_content);
    tcase_add_test(tc, count_enters_counts_enters_and_gaps);
    tcase_add_test(tc, event_sizes);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

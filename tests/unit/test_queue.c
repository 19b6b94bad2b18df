/* test_queue.c — SPSC rings and stream helpers (queue.c). */
#include <pthread.h>

#include "queue.h"
#include "testutil.h"

START_TEST(ring_capacity_is_power_of_two_at_least_requested)
{
    struct ctimer_ring r;
    ck_assert_int_eq(ctimer_ring_init(&r, 5), 0);
    ck_assert_uint_eq(ctimer_ring_capacity(&r), 8);
    ctimer_ring_destroy(&r);
    ck_assert_int_eq(ctimer_ring_init(&r, 64), 0);
    ck_assert_uint_eq(ctimer_ring_capacity(&r), 64);
    ctimer_ring_destroy(&r);
}
END_TEST

START_TEST(ring_fifo_full_and_empty)
{
    struct ctimer_ring r;
    ck_assert_int_eq(ctimer_ring_init(&r, 4), 0);
    struct ctimer_slot s;
    ck_assert_int_eq(ctimer_ring_pop(&r, &s), -1); /* empty */
    uint64_t dummy[4];
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(ctimer_ring_push(&r, (struct ctimer_slot){&dummy[i], i + 10}), 0);
    ck_assert_uint_eq(ctimer_ring_count(&r), 4);
    ck_assert_int_eq(ctimer_ring_push(&r, (struct ctimer_slot){dummy, 99}), -1); /* full */
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(ctimer_ring_pop(&r, &s), 0);
        ck_assert_ptr_eq(s.chunk, &dummy[i]);
        ck_assert_uint_eq(s.nwords, i + 10);
    }
    ck_assert_int_eq(ctimer_ring_pop(&r, &s), -1);
    ck_assert_uint_eq(ctimer_ring_count(&r), 0);
    /* wrap-around keeps order */
    for (size_t round = 0; round < 10; round++) {
        ck_assert_int_eq(ctimer_ring_push(&r, (struct ctimer_slot){dummy, round}), 0);
        ck_assert_int_eq(ctimer_ring_push(&r, (struct ctimer_slot){dummy, round + 100}), 0);
        ck_assert_int_eq(ctimer_ring_pop(&r, &s), 0);
        ck_assert_uint_eq(s.nwords, round);
        ck_assert_int_eq(ctimer_ring_pop(&r, &s), 0);
        ck_assert_uint_eq(s.nwords, round + 100);
    }
    ctimer_ring_destroy(&r);
}
END_TEST

/*
 * A producer and a consumer thread pass N chunks through a small "full" ring and recycle them
 * through a "free" ring, exactly as an application thread and the writer do.  Every chunk carries
 * its sequence number and a checksum of its contents.
 */
#define HANDOFF_CHUNKS 20000
#define HANDOFF_POOL 4
#define HANDOFF_WORDS 64

struct handoff {
    struct ctimer_ring full, free;
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
        struct ctimer_slot s;
        while (ctimer_ring_pop(&h->free, &s) != 0)
            sched_yield();
        uint64_t sum = fill_chunk(s.chunk, seq);
        h->produced_sum += sum;
        s.nwords = (size_t)(sum & 0xffff); /* carries the low checksum bits too */
        while (ctimer_ring_push(&h->full, s) != 0)
            sched_yield();
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct handoff *h = arg;
    for (uint64_t expect = 0; expect < HANDOFF_CHUNKS; expect++) {
        struct ctimer_slot s;
        while (ctimer_ring_pop(&h->full, &s) != 0)
            sched_yield();
        uint64_t sum = 0;
        for (int i = 1; i < HANDOFF_WORDS; i++)
            sum += s.chunk[i];
        if (s.chunk[0] != expect || (sum & 0xffff) != s.nwords)
            h->errors++;
        h->consumed_sum += sum;
        memset(s.chunk, 0, HANDOFF_WORDS * sizeof(uint64_t));
        while (ctimer_ring_push(&h->free, s) != 0)
            sched_yield();
    }
    return NULL;
}

START_TEST(ring_handoff_between_threads_keeps_order_and_content)
{
    struct handoff h = {0};
    ck_assert_int_eq(ctimer_ring_init(&h.full, HANDOFF_POOL), 0);
    ck_assert_int_eq(ctimer_ring_init(&h.free, HANDOFF_POOL), 0);
    static uint64_t pool[HANDOFF_POOL][HANDOFF_WORDS];
    for (int i = 0; i < HANDOFF_POOL; i++)
        ck_assert_int_eq(ctimer_ring_push(&h.free, (struct ctimer_slot){pool[i], 0}), 0);
    pthread_t p, c;
    ck_assert_int_eq(pthread_create(&c, NULL, consumer, &h), 0);
    ck_assert_int_eq(pthread_create(&p, NULL, producer, &h), 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    ck_assert_int_eq(h.errors, 0);
    ck_assert_uint_eq(h.consumed_sum, h.produced_sum);
    ck_assert_uint_eq(ctimer_ring_count(&h.full), 0);
    ck_assert_uint_eq(ctimer_ring_count(&h.free), HANDOFF_POOL);
    ctimer_ring_destroy(&h.full);
    ctimer_ring_destroy(&h.free);
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
    tcase_add_test(tc, ring_capacity_is_power_of_two_at_least_requested);
    tcase_add_test(tc, ring_fifo_full_and_empty);
    tcase_add_test(tc, ring_handoff_between_threads_keeps_order_and_content);
    tcase_add_test(tc, count_enters_counts_enters_and_gaps);
    tcase_add_test(tc, event_sizes);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}

/*
 * vtable.c — object-style dispatch and a library callback: objects carrying a `struct shape_ops`
 * table of function pointers, called in a loop (`s->ops->area(s)`, `s->ops->scale(s, f)`), then
 * glibc qsort with a comparison callback.
 *
 * Usage: vtable [PASSES [SORT_N [SORTS]]]   defaults 10000 2000 3 (quick runs use smaller values).
 * Calls, defaults: 1 000 objects x 10 000 passes = 10 M area + 10 M scale dispatches (each reaches
 * one shape function), and ~26.8 M comparisons for 3 sorts of 500 000 records: ~47 M function
 * calls; ctimer also counts the 20 M method call sites.
 */
#include <stdlib.h>

#include "bench.h"

#define NOBJ 1000

struct shape;
struct shape_ops {
    double (*area)(const struct shape *s);
    void (*scale)(struct shape *s, double f);
};
struct shape {
    const struct shape_ops *ops;
    double a, b;
};

double circle_area(const struct shape *s) { return 3.14159265358979 * s->a * s->a; }
double rect_area(const struct shape *s) { return s->a * s->b; }
double tri_area(const struct shape *s) { return 0.5 * s->a * s->b; }
void circle_scale(struct shape *s, double f) { s->a *= f; }
void rect_scale(struct shape *s, double f) { s->a *= f; s->b *= f; }
void tri_scale(struct shape *s, double f) { s->a *= f; s->b /= f; }

static const struct shape_ops circle_ops = { circle_area, circle_scale };
static const struct shape_ops rect_ops = { rect_area, rect_scale };
static const struct shape_ops tri_ops = { tri_area, tri_scale };

struct rec {
    uint32_t key;
    uint32_t id;
};

int cmp_rec(const void *pa, const void *pb)
{
    const struct rec *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static uint64_t rng_state = 88172645463325252ull;
static inline BENCH_NOINSTR uint32_t rng(void) /* xorshift64: inlined, never a call */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

static struct shape objs[NOBJ];

int main(int argc, char **argv)
{
    long passes = argc > 1 ? atol(argv[1]) : 10000;
    long sort_n = argc > 2 ? atol(argv[2]) : 500000;
    int sorts = argc > 3 ? atoi(argv[3]) : 3;
    if (passes < 1 || sort_n < 1 || sorts < 1) {
        fprintf(stderr, "usage: vtable [PASSES [SORT_N [SORTS]]]\n");
        return 2;
    }
    static const struct shape_ops *const kinds[3] = { &circle_ops, &rect_ops, &tri_ops };
    for (int i = 0; i < NOBJ; i++) {
        objs[i].ops = kinds[rng() % 3];
        objs[i].a = 1.0 + (rng() % 1000) / 100.0;
        objs[i].b = 1.0 + (rng() % 1000) / 100.0;
    }
    struct rec *recs = malloc(sizeof *recs * (size_t)sort_n);
    if (!recs)
        return 1;

    int64_t w0 = bench_wall_ns(), c0 = bench_cpu_ns();
    double total = 0;
    for (long p = 0; p < passes; p++) {
        double f = (p & 1) ? 1.0 / 1.0009765625 : 1.0009765625; /* exact in binary: no drift */
        for (int i = 0; i < NOBJ; i++) {
            struct shape *s = &objs[i];
            total += s->ops->area(s);
            s->ops->scale(s, f);
        }
    }
    uint64_t check = 0;
    for (int k = 0; k < sorts; k++) {
        for (long i = 0; i < sort_n; i++) {
            recs[i].key = rng() % 1000003u;
            recs[i].id = (uint32_t)i;
        }
        qsort(recs, (size_t)sort_n, sizeof *recs, cmp_rec);
        for (long i = 0; i < sort_n; i += 997)
            check = check * 31 + recs[i].key + recs[i].id;
    }
    int64_t c1 = bench_cpu_ns(), w1 = bench_wall_ns();

    printf("area total %.6e, sort check %llu\n", total, (unsigned long long)check);
    bench_report("vtable", w1 - w0, c1 - c0, 1);
    free(recs);
    return 0;
}

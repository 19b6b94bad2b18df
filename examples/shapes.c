/*
 * shapes.c — struct methods: two "classes" behind one table of function pointers.
 *
 * Every call through a field of `struct shape_ops` (s->ops->area(s), s->ops->scale(s, k), ...) is a
 * "struct method" call site: ctimer times it at the call and records it as struct `shape_ops`,
 * method `area`, with the function it landed in (circle_area or square_area) as its child.
 *
 *     gcc -O2 -fplugin=build/plugin/ctimer.so -Iruntime examples/shapes.c \
 *         -Lbuild/runtime -Wl,-rpath,build/runtime -lctimer -o shapes
 *     CTIMER_RUN=shapes ./shapes 100 10
 *     sqlite3 ctimer.db 'SELECT * FROM shapes_methods'
 *
 * Usage: shapes [N_AREA [N_SCALE]]   (defaults 100 and 10)
 * Calls `area` N_AREA times and `scale` N_SCALE times, going round the shapes in order:
 * one circle then three squares, so a quarter of the area calls (rounded up) land in circle_area.
 */
#include <stdio.h>
#include <stdlib.h>

struct shape;

struct shape_ops {
    double (*area)(const struct shape *);
    void (*scale)(struct shape *, double);
    void (*destroy)(struct shape *);
};

struct shape {
    const struct shape_ops *ops; /* the "class" */
    double size;                 /* radius of a circle, side of a square */
};

/* --- class circle --- */
static double circle_area(const struct shape *s)
{
    return 3.141592653589793 * s->size * s->size;
}

static void circle_scale(struct shape *s, double k)
{
    s->size *= k;
}

/* --- class square --- */
static double square_area(const struct shape *s)
{
    return s->size * s->size;
}

static void square_scale(struct shape *s, double k)
{
    s->size *= k;
}

/* Shared by both classes. */
static void shape_destroy(struct shape *s)
{
    free(s);
}

static const struct shape_ops circle_ops = { circle_area, circle_scale, shape_destroy };
static const struct shape_ops square_ops = { square_area, square_scale, shape_destroy };

static struct shape *shape_new(const struct shape_ops *ops, double size)
{
    struct shape *s = malloc(sizeof *s);
    if (!s) {
        perror("malloc");
        exit(1);
    }
    s->ops = ops;
    s->size = size;
    return s;
}

#define N_SHAPES 4

int main(int argc, char **argv)
{
    long n_area = argc > 1 ? atol(argv[1]) : 100;
    long n_scale = argc > 2 ? atol(argv[2]) : 10;

    struct shape *shapes[N_SHAPES] = {
        shape_new(&circle_ops, 1.0),
        shape_new(&square_ops, 1.0),
        shape_new(&square_ops, 2.0),
        shape_new(&square_ops, 3.0),
    };

    for (long i = 0; i < n_scale; i++) {
        struct shape *s = shapes[i % N_SHAPES];
        s->ops->scale(s, 1.5);
    }

    double total = 0;
    for (long i = 0; i < n_area; i++) {
        const struct shape *s = shapes[i % N_SHAPES];
        total += s->ops->area(s);
    }
    printf("%ld area calls, %ld scale calls: total area %.3f\n", n_area, n_scale, total);

    for (int i = 0; i < N_SHAPES; i++)
        shapes[i]->ops->destroy(shapes[i]);
    return 0;
}

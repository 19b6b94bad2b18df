/*
 * Every syntactic form of a struct-method call, each through its own struct so that rows can be
 * counted per form.  The calls each form makes (struct.method: calls), checked by method_forms.sh:
 *
 *   direct.fn 3            s->fn(x)
 *   vt_ops.apply 4         s->ops->apply(x)
 *   embedded_ops.run 2     s.ops.run(x)
 *   deref.call 5           (*s->call)(x)
 *   slot.cb 6              arr[i].cb(x)
 *   const_ops.op 2         p->op(x), p pointing to a const table
 *   holder.nested.inner 2  h.nested.inner(x), through an anonymous nested struct
 *   tdf.handler 3          a field declared with a typedef'd function-pointer type
 *   anon_t.go 2            an anonymous struct known by its typedef name
 *   u_cb.f 1               a union
 *   expr.val 6             results discarded (2), used in an expression (3), in a condition (1)
 *   tailcall.fn 2          in tail position: return t->fn(x)
 *   factory.make 2         returning a struct (in memory)
 *   jumpy.fn 1             in a function that calls setjmp
 *   cleaned.fn 3           in the scope of a variable with a cleanup (an EH edge with -fexceptions)
 */
#include <setjmp.h>
#include <stdio.h>

typedef int (*unary_fn)(int);

static int twice(int x) { return 2 * x; }
static int inc(int x) { return x + 1; }
static int neg(int x) { return -x; }

struct direct {
    int (*fn)(int);
};

struct vt_ops {
    int (*apply)(int);
};
struct obj {
    const struct vt_ops *ops;
};

struct embedded_ops {
    int (*run)(int);
};
struct outer {
    struct embedded_ops ops;
};

struct deref {
    int (*call)(int);
};

struct slot {
    int id;
    int (*cb)(int);
};

struct const_ops {
    int (*op)(int);
};
static const struct const_ops const_table = { neg };

struct holder {
    int tag;
    struct {
        int (*inner)(int);
    } nested;
};

struct tdf {
    unary_fn handler;
};

typedef struct {
    int (*go)(int);
} anon_t;

union u_cb {
    int (*f)(int);
    void *raw;
};

struct expr {
    int (*val)(int);
};

struct tailcall {
    int (*fn)(int);
};

struct big {
    long v[8];
};
struct factory {
    struct big (*make)(long);
};

struct jumpy {
    int (*fn)(int);
};

struct cleaned {
    int (*fn)(int);
};

static struct big make_big(long seed)
{
    struct big b;
    for (int i = 0; i < 8; i++)
        b.v[i] = seed + i;
    return b;
}

static int released;

static void release(int *guard)
{
    released += *guard;
}

static int use_direct(struct direct *s)
{
    return s->fn(1) + s->fn(2) + s->fn(3);
}

static int use_vtable(struct obj *o)
{
    int r = 0;
    for (int i = 0; i < 4; i++)
        r += o->ops->apply(i);
    return r;
}

static int use_deref(struct deref *s)
{
    int r = 0;
    for (int i = 0; i < 5; i++)
        r += (*s->call)(i);
    return r;
}

static int use_slots(struct slot *arr, int n)
{
    int r = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < n; i++)
            r += arr[i].cb(arr[i].id);
    return r;
}

static int use_expr(struct expr *e)
{
    e->val(10);
    (void)e->val(11);
    int r = e->val(1) + e->val(2) * e->val(3);
    if (e->val(0) == 0)
        r += 100;
    return r;
}

static int use_tail(struct tailcall *t, int x)
{
    return t->fn(x);
}

static int use_setjmp(struct jumpy *j)
{
    jmp_buf env;
    if (setjmp(env) == 0)
        return j->fn(5);
    return -1;
}

static int use_cleanup(struct cleaned *c, int n)
{
    __attribute__((cleanup(release))) int guard = 1;
    int r = 0;
    for (int i = 0; i < n; i++)
        r += c->fn(i);
    return r;
}

int main(void)
{
    struct direct d = { twice };
    printf("direct %d\n", use_direct(&d));

    static const struct vt_ops inc_ops = { inc };
    struct obj o = { &inc_ops };
    printf("vtable %d\n", use_vtable(&o));

    struct outer out = { { neg } };
    printf("embedded %d %d\n", out.ops.run(5), out.ops.run(6));

    struct deref dr = { inc };
    printf("deref %d\n", use_deref(&dr));

    struct slot slots[3] = { { 1, twice }, { 2, inc }, { 3, neg } };
    printf("slots %d\n", use_slots(slots, 3));

    const struct const_ops *cp = &const_table;
    printf("const table %d %d\n", cp->op(7), cp->op(8));

    struct holder h = { 0, { twice } };
    printf("nested %d %d\n", h.nested.inner(4), h.nested.inner(5));

    struct tdf t = { inc };
    struct tdf *tp = &t;
    printf("typedef %d %d %d\n", tp->handler(1), tp->handler(2), t.handler(3));

    anon_t a = { neg };
    anon_t *ap = &a;
    printf("anonymous %d %d\n", ap->go(9), a.go(10));

    union u_cb u;
    u.f = twice;
    printf("union %d\n", u.f(21));

    struct expr e = { inc };
    printf("expressions %d\n", use_expr(&e));

    struct tailcall tc = { twice };
    printf("tail %d %d\n", use_tail(&tc, 1), use_tail(&tc, 2));

    struct factory f = { make_big };
    printf("struct return %ld %ld\n", f.make(10).v[7], f.make(20).v[0]);

    struct jumpy j = { neg };
    printf("setjmp %d\n", use_setjmp(&j));

    struct cleaned c = { inc };
    printf("cleanup %d released %d\n", use_cleanup(&c, 3), released);
    return 0;
}

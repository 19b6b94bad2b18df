/*
 * flamegraph.c — a self-contained flame graph SVG: one rect per call path, its width its share of
 * the weight (self time, or calls), callers below callees, the root ("all") at the bottom; a name
 * where it fits, and a hover title with the time, share and calls.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define WIDTH 1200.0
#define MARGIN 10.0
#define FRAME_H 16.0
#define TOP 34.0
#define CHAR_W 7.0 /* 12 px sans-serif, roughly */
#define MAX_LEVELS 2000 /* deeper frames are not drawn (the title says so): 32,000 px is tall enough */

struct flame {
    const struct stacks *s;
    const int64_t *w;
    int by_calls;
    double scale; /* px per unit of weight */
    double base_y;
    FILE *out;
};

static void xml_str(FILE *f, const char *s, size_t max)
{
    for (size_t i = 0; s[i] && i < max; i++) {
        switch (s[i]) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(s[i], f);
        }
    }
}

static const char *name_of(const struct stacks *s, int node)
{
    int64_t f = s->nodes[node].func;
    if (node == 0)
        return "all";
    return f >= 0 && (size_t)f < s->nnames && s->names[f] ? s->names[f] : "?";
}

/* Warm colours, stable per name (flamegraph.pl's "hot" palette). */
static void colour(const char *name, int *r, int *g, int *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    *r = 205 + (int)(h % 50);
    *g = (int)((h >> 8) % 230);
    *b = (int)((h >> 16) % 55);
}

static void frame(struct flame *fl, int node, int depth, double x)
{
    double wpx = (double)fl->w[node] * fl->scale;
    if (wpx < 0.1 || depth > MAX_LEVELS)
        return;
    const char *name = name_of(fl->s, node);
    const struct stack_node *n = &fl->s->nodes[node];
    double y = fl->base_y - depth * FRAME_H;
    double share = fl->w[0] ? 100.0 * (double)fl->w[node] / (double)fl->w[0] : 0;
    int r, g, b;
    colour(name, &r, &g, &b);
    fputs("<g><title>", fl->out);
    xml_str(fl->out, name, 4096);
    if (fl->by_calls) {
        fprintf(fl->out, " (%lld calls here and below, %.2f%%)", (long long)fl->w[node], share);
    } else {
        char t[32], calls[32];
        fmt_ns(t, sizeof t, (double)fl->w[node]);
        fmt_count(calls, sizeof calls, n->calls);
        fprintf(fl->out, " (%s, %.2f%%, %s calls)", t, share, node ? calls : "-");
    }
    fprintf(fl->out, "</title><rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>",
            x, y, wpx, FRAME_H - 1, r, g, b);
    size_t fit = wpx > 3 * CHAR_W ? (size_t)((wpx - 6) / CHAR_W) : 0;
    if (fit >= 3) {
        size_t len = strlen(name);
        fprintf(fl->out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
        if (len <= fit)
            xml_str(fl->out, name, len);
        else {
            xml_str(fl->out, name, fit - 2);
            fputs("..", fl->out);
        }
        fputs("</text>", fl->out);
    }
    fputs("</g>\n", fl->out);
    size_t nc;
    int *kids = stacks_children_sorted(fl->s, node, &nc);
    double cx = x;
    for (size_t i = 0; i < nc; i++) {
        frame(fl, kids[i], depth + 1, cx);
        cx += (double)fl->w[kids[i]] * fl->scale;
    }
    free(kids);
}

static int max_depth(const struct stacks *s)
{
    int *d = xcalloc(s->n ? s->n : 1, sizeof *d), m = 0;
    for (size_t i = 1; i < s->n; i++) {
        d[i] = d[s->nodes[i].parent] + 1;
        if (d[i] > m)
            m = d[i];
    }
    free(d);
    return m;
}

int export_svg(const struct stacks *s, int by_calls, const char *title, FILE *out)
{
    int64_t *w = stacks_inclusive(s, by_calls);
    int depth = max_depth(s), cut = depth > MAX_LEVELS;
    if (cut)
        depth = MAX_LEVELS;
    double height = TOP + (depth + 1) * FRAME_H + MARGIN + 16;
    struct flame fl = {s, w, by_calls, w[0] ? (WIDTH - 2 * MARGIN) / (double)w[0] : 0,
                       TOP + depth * FRAME_H, out};
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\""
            " viewBox=\"0 0 %.0f %.0f\">\n"
            "<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000;pointer-events:none}"
            " g:hover rect{stroke:#000;stroke-width:1}</style>\n"
            "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f4ec\"/>\n"
            "<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" style=\"font-size:16px\">",
            WIDTH, height, WIDTH, height, WIDTH / 2);
    xml_str(out, title, 4096);
    if (cut)
        fprintf(out, " (only the first %d levels drawn)", MAX_LEVELS);
    fprintf(out, "</text>\n<text x=\"%.0f\" y=\"%.0f\" style=\"font-size:11px;fill:#555\">width: %s"
                 "; hover a frame for its numbers</text>\n",
            MARGIN, height - 8, by_calls ? "calls" : "time (each frame includes its callees, drawn above it)");
    if (w[0] > 0)
        frame(&fl, 0, 0, MARGIN);
    fputs("</svg>\n", out);
    free(w);
    return 0;
}

/* log.h — the runtime's only output: single lines on stderr, each written with one write(2). */
#ifndef CTIMER_LOG_H
#define CTIMER_LOG_H

/* Formats one line (a trailing newline is added) and writes it to stderr in one write. */
void ctimer_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A ctimer_message_fn (config.h) that passes the line to ctimer_log. */
void ctimer_log_line(const char *line, void *ctx);

#endif

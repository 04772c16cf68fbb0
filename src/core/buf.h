/* buf.h - one bounded, growable output buffer, and the {ptr, len} slice for input.
 * A buf owns its heap memory; it refuses to grow past its cap and then stays in an
 * error state (buf->err), so writers can append freely and check once at the end.
 * Not thread-safe. */
#ifndef TREU_BUF_H
#define TREU_BUF_H

#include "core/common.h"

#include <stdbool.h>
#include <string.h>

struct slice {
    const char *ptr;
    size_t len;
};

#define SLICE_LIT(s) ((struct slice){(s), sizeof(s) - 1})

static inline struct slice slice_from(const char *s)
{
    return (struct slice){s, s ? strlen(s) : 0};
}

static inline bool slice_eq(struct slice a, struct slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool slice_eq_str(struct slice a, const char *s)
{
    return slice_eq(a, slice_from(s));
}

/* An optional, nullable string from a request: set false = absent; set with v NULL =
 * explicitly null. */
struct opt_str {
    bool set;
    const char *v;
};

struct buf {
    char *ptr;
    size_t len;
    size_t size;
    size_t cap_bytes; /* growth limit */
    int err;          /* 0, or the first error (TREU_ENOMEM / TREU_ELIMIT) */
};

/* Prepares an empty buffer that may grow to `cap_bytes`. Allocates nothing yet. */
void buf_init(struct buf *b, size_t cap_bytes);

/* Frees the memory. NULL-safe; the buf may be reused after buf_init. */
void buf_cleanup(struct buf *b);

/* Empties the buffer, keeps its memory, clears the error. */
void buf_reset(struct buf *b);

/* Appends; on failure sets b->err and leaves the content as it was. Returns b->err. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) TREU_PRINTF(2, 3);
int buf_put_i64(struct buf *b, int64_t v);

/* Hands the NUL-terminated content to the caller (free() it) and empties the buf.
 * Returns NULL if the buf is in error or memory runs out. */
char *buf_take(struct buf *b);

/* The content as a NUL-terminated string owned by the buf ("" when empty). */
const char *buf_cstr(struct buf *b);

#endif

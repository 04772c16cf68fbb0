/* buf.c - doubling growth up to a cap; a sticky error keeps callers' code linear. */
#include "core/buf.h"

#include <stdarg.h>

void buf_init(struct buf *b, size_t cap_bytes)
{
    b->ptr = NULL;
    b->len = 0;
    b->size = 0;
    b->cap_bytes = cap_bytes;
    b->err = 0;
}

void buf_cleanup(struct buf *b)
{
    if (!b)
        return;
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->size = 0;
    b->err = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    size_t need = b->len + extra + 1;
    if (need < b->len || need - 1 > b->cap_bytes) {
        b->err = TREU_ELIMIT;
        return b->err;
    }
    if (need <= b->size)
        return 0;
    size_t size = b->size ? b->size : 256;
    while (size < need)
        size *= 2;
    if (size > b->cap_bytes + 1)
        size = b->cap_bytes + 1;
    char *p = realloc(b->ptr, size);
    if (!p) {
        b->err = TREU_ENOMEM;
        return b->err;
    }
    b->ptr = p;
    b->size = size;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) < 0)
        return b->err;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = b->err ? b->err : TREU_EINVAL;
        return b->err;
    }
    if ((size_t)n < sizeof small)
        return buf_append(b, small, (size_t)n);
    if (buf_reserve(b, (size_t)n) < 0)
        return b->err;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_put_i64(struct buf *b, int64_t v)
{
    char tmp[24];
    char *end = tmp + sizeof tmp;
    char *p = end;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(b, p, (size_t)(end - p));
}

char *buf_take(struct buf *b)
{
    if (b->err)
        return NULL;
    if (!b->ptr) {
        if (buf_reserve(b, 0) < 0)
            return NULL;
        b->ptr[0] = '\0';
    }
    char *p = b->ptr;
    b->ptr = NULL;
    b->len = b->size = 0;
    return p;
}

const char *buf_cstr(struct buf *b)
{
    return b->ptr ? b->ptr : "";
}

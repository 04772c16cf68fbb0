/* arena.h - a bump allocator for one unit of work (a request, a job, a command).
 * Everything allocated from an arena is released by one arena_cleanup. The arena has a
 * byte cap: past it allocations return NULL (callers answer 413/422, never crash).
 * Not thread-safe: one arena belongs to one thread at a time. */
#ifndef TREU_ARENA_H
#define TREU_ARENA_H

#include "core/common.h"

#include <string.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t used_bytes; /* bytes handed out plus block overhead */
    size_t cap_bytes;  /* hard limit on used_bytes */
};

/* Prepares an empty arena that may grow to `cap_bytes`. Allocates nothing yet. */
void arena_init(struct arena *a, size_t cap_bytes);

/* Frees every block. The arena may be reused after arena_init. NULL-safe. */
void arena_cleanup(struct arena *a);

/* Returns `n` bytes aligned to 16, or NULL when out of memory or over the cap. */
void *arena_alloc(struct arena *a, size_t n);

/* Like arena_alloc but zeroed. */
void *arena_zalloc(struct arena *a, size_t n);

/* Copies `len` bytes of `s` and appends a NUL. NULL when over the cap. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

/* arena_strndup of a NUL-terminated string; NULL in → NULL out. */
char *arena_strdup(struct arena *a, const char *s);

#endif

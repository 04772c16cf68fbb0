/* arena.c - bump allocation in blocks; big requests get a block of their own so the
 * common small allocation never wastes more than one block's tail. */
#include "core/arena.h"

#define ARENA_BLOCK_BYTES 8192
#define ARENA_ALIGN       16

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t off;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *a, size_t cap_bytes)
{
    a->head = NULL;
    a->used_bytes = 0;
    a->cap_bytes = cap_bytes;
}

void arena_cleanup(struct arena *a)
{
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

static struct arena_block *arena_block_new(struct arena *a, size_t min)
{
    size_t size = min > ARENA_BLOCK_BYTES ? min : ARENA_BLOCK_BYTES;
    size_t total = sizeof(struct arena_block) + size;
    if (a->used_bytes + total > a->cap_bytes || total < size)
        return NULL;
    struct arena_block *b = malloc(total);
    if (!b)
        return NULL;
    b->size = size;
    b->off = 0;
    a->used_bytes += total;
    return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need < n)
        return NULL;
    struct arena_block *b = a->head;
    if (b && b->size - b->off >= need) {
        void *p = b->data + b->off;
        b->off += need;
        return p;
    }
    struct arena_block *nb = arena_block_new(a, need);
    if (!nb)
        return NULL;
    if (need > ARENA_BLOCK_BYTES / 2 && b) {
        /* A big allocation gets its own block behind the head, so the head's free
         * tail stays usable for the small ones that follow. */
        nb->next = b->next;
        b->next = nb;
    } else {
        nb->next = b;
        a->head = nb;
    }
    nb->off = need;
    return nb->data;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* ids.c - rejection sampling keeps base62 uniform: a byte is used only below 248. */
#include "core/ids.h"

#include <string.h>

static const char ids_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void ids_base62(const struct rng *r, char *out, size_t n)
{
    unsigned char pool[64];
    size_t have = 0, pos = 0, i = 0;
    while (i < n) {
        if (pos == have) {
            r->fill(r->ctx, pool, sizeof pool);
            have = sizeof pool;
            pos = 0;
        }
        unsigned char b = pool[pos++];
        if (b >= 248)
            continue;
        out[i++] = ids_alphabet[b % 62];
    }
    out[n] = '\0';
}

void ids_make(const struct rng *r, const char *prefix, char out[IDS_MAX_LEN])
{
    size_t pl = strlen(prefix);
    ASSERT(pl + IDS_RANDOM_CHARS + 1 <= IDS_MAX_LEN);
    memcpy(out, prefix, pl);
    ids_base62(r, out + pl, IDS_RANDOM_CHARS);
}

void ids_make_at(const struct rng *r, int64_t now_us, const char *prefix, char out[IDS_MAX_LEN])
{
    ids_make(r, prefix, out);
    /* The alphabet is in ASCII order, so fixed-width base62 sorts like the number. */
    uint64_t v = now_us > 0 ? (uint64_t)now_us : 0;
    char *t = out + strlen(prefix);
    for (int i = IDS_TIME_CHARS - 1; i >= 0; i--) {
        t[i] = ids_alphabet[v % 62];
        v /= 62;
    }
}

void ids_uuid(const struct rng *r, char out[IDS_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    r->fill(r->ctx, b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

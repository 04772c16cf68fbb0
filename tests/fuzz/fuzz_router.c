/* fuzz_router.c - percent-decoding of request paths (router_unescape) and route matching
 * over treu's real route table (router_find on api_routes).
 * Input: one byte choosing the method, then the raw path as it comes off the wire.
 * Properties: decoding never lengthens the path nor creates a NUL, and leaves a path
 * without '%' unchanged; a found route has the request's method, one non-empty,
 * slash-free parameter per "{name}" segment, and putting those parameters back into its
 * pattern gives the decoded path again (less a trailing slash); "method not allowed"
 * always comes with an Allow list; matching is deterministic. */
#include "fuzz.h"

#include "api/api.h"
#include "http/router.h"

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};

/* The pattern with each "{name}" replaced by the next parameter. */
static void rebuild(const char *pattern, const struct router_match *m, struct buf *b)
{
    int np = 0;
    for (const char *p = pattern; *p;) {
        if (*p == '{') {
            FUZZ_CHECK(np < m->nparams);
            buf_puts(b, m->params[np++]);
            p = strchr(p, '}');
            FUZZ_CHECK(p);
            p++;
        } else {
            buf_putc(b, *p++);
        }
    }
    FUZZ_CHECK(np == m->nparams);
}

static void check_found(const char *method, const char *path, const struct router_match *m)
{
    FUZZ_CHECK(m->index < api_routes_count);
    const struct route *rt = &api_routes[m->index];
    FUZZ_CHECK(strcmp(rt->method, method) == 0);
    FUZZ_CHECK(m->nparams >= 0 && m->nparams <= REQUEST_PARAMS_MAX);
    for (int i = 0; i < m->nparams; i++)
        FUZZ_CHECK(m->params[i] && m->params[i][0] && !strchr(m->params[i], '/'));
    struct buf b;
    buf_init(&b, 1u << 20);
    rebuild(rt->pattern, m, &b);
    size_t plen = strlen(path);
    if (plen > 1 && path[plen - 1] == '/')
        plen--;
    FUZZ_CHECK(b.err == 0 && b.len == plen && memcmp(b.ptr, path, plen) == 0);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *method = methods[data[0] % TREU_ARRAY_LEN(methods)];
    char *path = fuzz_cstr(data + 1, size - 1);
    size_t raw_len = strlen(path);
    bool had_percent = strchr(path, '%') != NULL;
    char *raw = fuzz_cstr((const uint8_t *)path, raw_len);
    size_t len = router_unescape(path);
    FUZZ_CHECK(len <= raw_len && strlen(path) == len);
    FUZZ_CHECK(had_percent || strcmp(raw, path) == 0);

    struct arena a;
    arena_init(&a, 64 * 1024);
    struct router_match m, m2;
    enum router_result res = router_find(api_routes, api_routes_count, method, path, &a, &m);
    enum router_result res2 = router_find(api_routes, api_routes_count, method, path, &a, &m2);
    FUZZ_CHECK(res == res2 && (res != ROUTER_FOUND || m.index == m2.index));
    FUZZ_CHECK(memchr(m.allow, 0, sizeof m.allow));
    if (res == ROUTER_FOUND)
        check_found(method, path, &m);
    else if (res == ROUTER_METHOD_NOT_ALLOWED)
        FUZZ_CHECK(m.allow[0] != '\0' && !strstr(m.allow, method));
    else
        FUZZ_CHECK(res == ROUTER_NOT_FOUND);
    arena_cleanup(&a);
    free(raw);
    free(path);
    return 0;
}

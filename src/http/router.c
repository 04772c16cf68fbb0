/* router.c - a linear scan with segment comparison. The table is small and the scan
 * allocates nothing unless it finds parameters; a trie would buy nothing measurable yet.
 * When several routes match, the one with the fewest parameters wins. */
#include "http/router.h"

#include <string.h>

struct seg {
    const char *p;
    size_t len;
};

/* Splits "/a/b/c" into segments. Returns -1 for too many or an empty inner segment. */
static int split(const char *path, struct seg *out)
{
    int n = 0;
    const char *p = path;
    if (*p != '/')
        return -1;
    while (*p == '/') {
        p++;
        const char *start = p;
        while (*p && *p != '/')
            p++;
        size_t len = (size_t)(p - start);
        if (len == 0) {
            if (*p == '\0' && n > 0)
                break; /* a trailing slash is tolerated */
            if (*p == '\0' && n == 0)
                break; /* "/" itself */
            return -1;
        }
        if (n == ROUTER_SEGMENTS_MAX)
            return -1;
        out[n].p = start;
        out[n].len = len;
        n++;
    }
    return n;
}

static int route_param_count(const struct route *rt)
{
    int n = 0;
    for (const char *p = rt->pattern; *p; p++)
        n += *p == '{';
    return n;
}

static bool route_matches(const struct route *rt, const struct seg *segs, int n, struct arena *a,
                          struct router_match *m, bool capture)
{
    struct seg pat[ROUTER_SEGMENTS_MAX];
    int pn = split(rt->pattern, pat);
    if (pn != n)
        return false;
    int np = 0;
    for (int i = 0; i < n; i++) {
        bool param = pat[i].len >= 2 && pat[i].p[0] == '{';
        if (param && np == REQUEST_PARAMS_MAX)
            return false; /* a route with more parameters than a request holds never matches */
        if (param) {
            if (capture && np < REQUEST_PARAMS_MAX) {
                m->params[np] = arena_strndup(a, segs[i].p, segs[i].len);
                if (!m->params[np])
                    return false;
            }
            np++;
        } else if (pat[i].len != segs[i].len || memcmp(pat[i].p, segs[i].p, segs[i].len) != 0) {
            return false;
        }
    }
    if (capture)
        m->nparams = np;
    return true;
}

enum router_result router_find(const struct route *routes, size_t n, const char *method,
                               const char *path, struct arena *a, struct router_match *m)
{
    struct seg segs[ROUTER_SEGMENTS_MAX];
    memset(m, 0, sizeof *m);
    int sn = split(path, segs);
    if (sn < 0)
        return ROUTER_NOT_FOUND;
    bool path_exists = false;
    size_t best = n;
    int best_params = REQUEST_PARAMS_MAX + 1;
    for (size_t i = 0; i < n; i++) {
        if (!route_matches(&routes[i], segs, sn, a, m, false))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            /* The most literal route wins: /customers/search beats /customers/{id}. */
            int np = route_param_count(&routes[i]);
            if (np < best_params) {
                best = i;
                best_params = np;
            }
            continue;
        }
        if (!strstr(m->allow, routes[i].method)) {
            size_t used = strlen(m->allow);
            snprintf(m->allow + used, sizeof m->allow - used, "%s%s", used ? ", " : "",
                     routes[i].method);
        }
        path_exists = true;
    }
    if (best < n) {
        m->allow[0] = '\0';
        if (!route_matches(&routes[best], segs, sn, a, m, true))
            return ROUTER_NOT_FOUND;
        m->index = best;
        return ROUTER_FOUND;
    }
    return path_exists ? ROUTER_METHOD_NOT_ALLOWED : ROUTER_NOT_FOUND;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t router_unescape(char *s)
{
    char *w = s;
    for (const char *p = s; *p;) {
        int hi = p[0] == '%' ? hexval(p[1]) : -1;
        int lo = hi >= 0 ? hexval(p[2]) : -1;
        int v = lo >= 0 ? hi * 16 + lo : 0;
        if (v > 0) {
            *w++ = v == '/' ? ROUTER_SLASH_MARK : (char)v;
            p += 3;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

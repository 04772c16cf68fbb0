/* router.h - matches a method and path against the route table.
 * Patterns are "/"-separated; a "{name}" segment matches any one non-empty segment and
 * its value is returned as a parameter. Pure: no allocation beyond the caller's arena. */
#ifndef TREU_ROUTER_H
#define TREU_ROUTER_H

#include "api/api.h"

#define ROUTER_SEGMENTS_MAX    16
#define ROUTER_ALLOW_BYTES_MAX 64

/* An encoded slash (%2F) stays a stand-in byte until routing is done, so "/v1/customers/
 * shop%2F4711" routes as one {id} segment "shop/4711". The stand-in is a control byte
 * that no valid text field may contain anyway. */
#define ROUTER_SLASH_MARK '\x1f'

enum router_result { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_METHOD_NOT_ALLOWED };

struct router_match {
    size_t index; /* into the table, when found */
    const char *params[REQUEST_PARAMS_MAX];
    int nparams;
    char allow[ROUTER_ALLOW_BYTES_MAX]; /* "GET, PUT" when the method is not allowed */
};

/* Finds the route for `method` and `path`. Parameter values are copied into `a`. */
enum router_result router_find(const struct route *routes, size_t n, const char *method,
                               const char *path, struct arena *a, struct router_match *m);

/* Percent-decodes the NUL-terminated `s` in place and returns its new length. %2F becomes
 * ROUTER_SLASH_MARK; %00 and malformed escapes are left as they are (a NUL would silently
 * cut the string). The result is never longer than the input. */
size_t router_unescape(char *s);

#endif

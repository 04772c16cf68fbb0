/* rulecache.h - earning-rule bodies parsed once, not once per event: each thread keeps the
 * parsed JSON of the rules it evaluated, keyed by rule id and a hash of the body text, so
 * a changed rule (or one whose change was rolled back) is parsed again and nothing needs
 * invalidating. The cache is freed when its thread exits.
 * A returned tree is read-only and valid until the thread's next rulecache_body call. */
#ifndef TREU_RULECACHE_H
#define TREU_RULECACHE_H

#include "store/store.h"

#include <cjson/cJSON.h>

#define RULECACHE_SLOTS 512 /* rules kept per thread */

/* The rule's body parsed, or NULL when it does not parse (or memory is short). */
const cJSON *rulecache_body(const struct earning_rule *r);

#endif

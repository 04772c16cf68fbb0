/* rulecache.c - per-thread cache of parsed earning-rule bodies (see rulecache.h). */
#include "engine/rulecache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct rc_slot {
    char id[IDS_MAX_LEN];
    uint64_t hash; /* of the body text */
    cJSON *body;
};

struct rc_table {
    struct rc_slot slots[RULECACHE_SLOTS];
};

static pthread_key_t rc_key;
static pthread_once_t rc_once = PTHREAD_ONCE_INIT;

static void rc_table_free(void *p)
{
    struct rc_table *t = p;
    for (size_t i = 0; t && i < RULECACHE_SLOTS; i++)
        cJSON_Delete(t->slots[i].body);
    free(t);
}

static void rc_init(void)
{
    (void)pthread_key_create(&rc_key, rc_table_free);
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

const cJSON *rulecache_body(const struct earning_rule *r)
{
    pthread_once(&rc_once, rc_init);
    struct rc_table *t = pthread_getspecific(rc_key);
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t || pthread_setspecific(rc_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    uint64_t h = fnv1a(r->body_json, UINT64_C(14695981039346656037));
    struct rc_slot *s = &t->slots[fnv1a(r->id, h) % RULECACHE_SLOTS];
    if (s->body && s->hash == h && strcmp(s->id, r->id) == 0)
        return s->body;
    cJSON_Delete(s->body);
    s->body = cJSON_Parse(r->body_json);
    s->hash = h;
    snprintf(s->id, sizeof s->id, "%s", r->id);
    return s->body;
}

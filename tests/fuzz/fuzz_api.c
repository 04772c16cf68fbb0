/* fuzz_api.c - whole requests through the route table and the resource handlers (request
 * JSON of every resource: customers, loyalty programs, tiers, earning rules, rewards,
 * orders, events, campaigns, vouchers, validation rules, publications, validations,
 * redemptions, qualifications, webhooks), against a real store in a temporary directory
 * and a real writer thread, without the HTTP layer or authentication.
 * Input: "METHOD /path?query\n" then the body. Handlers run as the one project's server
 * key. Properties: every request gets an answer; no input makes treu answer 500 (an
 * internal error is a bug whatever the client sent); a JSON answer parses; an error
 * answer has the stable shape {code = status, key, message}. State carries over between
 * inputs (a customer created by one is there for the next), as on a real server. */
#include "fuzz.h"

#include "api/api.h"
#include "api/metrics.h"
#include "engine/projects.h"
#include "engine/zones.h"
#include "http/router.h"
#include "store/store.h"

#include <sodium.h>
#include <stdbool.h>
#include <unistd.h>

#define FUZZ_ZONEINFO_DIR "/usr/share/zoneinfo/"

struct env {
    struct app app;
    char dir[64];
    char db[96];
    char project_id[IDS_MAX_LEN];
};

static struct env env;

static void env_free(void)
{
    writer_free(env.app.writer);
    store_pool_free(env.app.readers);
    metrics_free(env.app.metrics);
    zones_free(env.app.zones);
    store_free(env.app.store);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < TREU_ARRAY_LEN(suffixes); i++) {
        char path[128];
        snprintf(path, sizeof path, "%s%s", env.db, suffixes[i]);
        unlink(path);
    }
    rmdir(env.dir);
}

static void env_init(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(env.dir, sizeof env.dir, "%s/treu-fuzz-api-XXXXXX", base);
    FUZZ_CHECK(sodium_init() >= 0 && mkdtemp(env.dir));
    snprintf(env.db, sizeof env.db, "%s/fuzz.db", env.dir);
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s", env.db);
    env.app.clock = engine_clock_system();
    env.app.rng = engine_rng_system();
    env.app.version = "fuzz";
    int version = 0;
    struct store_conn *c = NULL;
    struct new_project np;
    FUZZ_CHECK(store_open(url, &env.app.store) == 0);
    FUZZ_CHECK(store_migrate(env.app.store, &version) == 0);
    FUZZ_CHECK(store_conn_open(env.app.store, true, &c) == 0);
    FUZZ_CHECK(projects_create(c, "fuzz", clock_now_us(env.app.clock), env.app.rng, &np) == 0);
    store_conn_free(c);
    memcpy(env.project_id, np.project_id, sizeof env.project_id);
    FUZZ_CHECK(zones_new(FUZZ_ZONEINFO_DIR, &env.app.zones) == 0);
    FUZZ_CHECK(writer_start(env.app.store, env.app.clock, env.app.rng, &env.app.writer) == 0);
    FUZZ_CHECK(store_pool_new(env.app.store, 2, &env.app.readers) == 0);
    FUZZ_CHECK(metrics_new(api_routes_count, &env.app.metrics) == 0);
    atexit(env_free);
}

/* The query string of the request being handled ("a=1&b=2", undecoded apart from
 * router_unescape on the value). */
struct fuzz_req {
    struct request r;
    const char *query;
};

static const char *io_query(struct request *r, const char *name)
{
    const char *q = ((struct fuzz_req *)r)->query;
    size_t n = strlen(name);
    for (const char *p = q; p && *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            char *v = arena_strndup(&r->arena, p + n + 1, len - n - 1);
            if (v)
                router_unescape(v);
            return v;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static const char *io_header(struct request *r, const char *name)
{
    (void)r, (void)name;
    return NULL;
}

static const struct request_io fuzz_io = {io_query, io_header};

static void check_answer(struct request *r)
{
    if (r->status >= 500)
        fprintf(stderr, "answered %d: %.*s\n", r->status, (int)r->out.len, r->out.ptr);
    FUZZ_CHECK(r->status >= 200 && r->status < 600);
    FUZZ_CHECK(r->status != 500);
    if (r->content_type || r->out.len == 0)
        return;
    cJSON *j = NULL;
    struct json_error err;
    FUZZ_CHECK(r->out.err == 0);
    FUZZ_CHECK(json_parse(r->out.ptr, r->out.len, JSON_DEPTH_MAX + 2, &j, &err) == 0);
    if (r->status >= 400) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
        FUZZ_CHECK(cJSON_IsNumber(code) && code->valuedouble == r->status);
        FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "key")));
        FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")));
    }
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env.app.store)
        env_init();
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head_len = nl ? (size_t)(nl - data) : size;
    char *head = fuzz_cstr(data, head_len);
    char *sp = strchr(head, ' ');
    if (!sp || memchr(head, 0, head_len) || strlen(sp + 1) == 0) {
        free(head);
        return 0;
    }
    *sp = '\0';
    char *path = sp + 1, *q = strchr(path, '?');
    if (q)
        *q++ = '\0';
    router_unescape(path);

    struct fuzz_req fr;
    struct request *r = &fr.r;
    request_init(r, &env.app, &fuzz_io);
    fr.query = q;
    r->method = head;
    r->path = path;
    memcpy(r->request_id, "req_fuzz", 9);
    size_t body_len = nl ? size - head_len - 1 : 0;
    char *body = fuzz_cstr(nl ? nl + 1 : data, body_len);
    r->body = (struct slice){body, body_len};
    struct router_match m;
    if (router_find(api_routes, api_routes_count, r->method, r->path, &r->arena, &m) ==
        ROUTER_FOUND) {
        const struct route *rt = &api_routes[m.index];
        r->nparams = m.nparams;
        for (int i = 0; i < m.nparams; i++) {
            char *p = arena_strdup(&r->arena, m.params[i]);
            for (char *c = p; c && *c; c++)
                *c = *c == ROUTER_SLASH_MARK ? '/' : *c;
            r->params[i] = p;
        }
        r->auth_kind = AUTH_SERVER;
        memcpy(r->project_id, env.project_id, sizeof r->project_id);
        rt->handler(r);
        if (getenv("FUZZ_API_VERBOSE")) /* for writing seeds: what each one got */
            fprintf(stderr, "%s %s -> %d %.300s\n", r->method, r->path, r->status,
                    r->out.ptr ? r->out.ptr : "");
        check_answer(r);
    }
    request_cleanup(r);
    free(body);
    free(head);
    return 0;
}

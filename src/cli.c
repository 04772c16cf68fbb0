/* cli.c - the subcommands. Every one that touches data opens the store and migrates it
 * first, so any command works on a fresh data directory and on one left by an older
 * version. Signals: serve blocks SIGINT/SIGTERM in every thread and waits for them on
 * the main thread, which then shuts down in order: HTTP, writer, readers, store. */
#include "cli.h"

#include "api/api.h"
#include "api/metrics.h"
#include "core/json.h"
#include "core/log.h"
#include "core/validate.h"
#include "engine/projects.h"
#include "engine/zones.h"
#include "jobs/scheduler.h"
#include "jobs/webhooks.h"
#include "http/server.h"
#include "store/pool.h"
#include "treu_version.h"

#include "http/ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>

#define TREU_ZONEINFO_DIR "/usr/share/zoneinfo/"

static int open_store(const struct cli_opts *o, struct store **out)
{
    *out = NULL;
    if (mkdir(o->data, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "treu: cannot create data directory %s: %s\n", o->data, strerror(errno));
        return TREU_EIO;
    }
    struct store *s = NULL;
    int rc = store_open(o->db, &s);
    int version = 0;
    if (rc == 0)
        rc = store_migrate(s, &version);
    if (rc < 0) {
        fprintf(stderr, "treu: cannot open database %s: %s\n", o->db, treu_strerror(rc));
        store_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* Opens the store (migrated) and its write connection. 0, or 1 after saying why. */
static int open_writer(const struct cli_opts *o, struct store **s, struct store_conn **c)
{
    *c = NULL;
    if (sodium_init() < 0 || open_store(o, s) < 0)
        return 1;
    int rc = store_conn_open(*s, true, c);
    if (rc < 0) {
        fprintf(stderr, "treu: cannot open database %s: %s\n", o->db, treu_strerror(rc));
        store_free(*s);
        *s = NULL;
        return 1;
    }
    return 0;
}

/* Prints one JSON object line built by the caller's writer. */
static void print_json(struct buf *b)
{
    if (b->err == 0)
        printf("%s\n", buf_cstr(b));
    buf_cleanup(b);
}

/* Splits "HOST:PORT" (or "[v6]:PORT"). Returns -1 when malformed. */
static int split_listen(const char *in, char *host, size_t hsize, uint16_t *port)
{
    const char *colon = strrchr(in, ':');
    if (!colon || colon == in)
        return -1;
    const char *h = in;
    size_t hl = (size_t)(colon - in);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= hsize)
        return -1;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int cli_serve(const struct cli_opts *o)
{
    char host[256];
    uint16_t port;
    if (split_listen(o->listen, host, sizeof host, &port) < 0) {
        fprintf(stderr, "treu: --listen must be HOST:PORT, got %s\n", o->listen);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct clock_offset test_clock;
    engine_clock_offset_init(&test_clock);
    struct app app = {.clock = o->test_clock ? &test_clock.clock : engine_clock_system(),
                      .rng = engine_rng_system(),
                      .version = TREU_VERSION,
                      .test_clock = o->test_clock ? &test_clock : NULL};
    struct server *srv = NULL;
    int exit_code = 1;
    if (open_store(o, &app.store) < 0)
        goto out;
    int rc = zones_new(TREU_ZONEINFO_DIR, &app.zones);
    if (rc == 0)
        rc = writer_start(app.store, app.clock, app.rng, &app.writer);
    if (rc == 0)
        rc = store_pool_new(app.store, o->readers, &app.readers);
    if (rc == 0)
        rc = metrics_new(api_routes_count, &app.metrics);
    if (rc == 0)
        rc = ratelimit_new((double)o->rate_server, (double)o->rate_client, &app.ratelimit);
    if (rc == 0)
        rc = scheduler_start(app.readers, app.writer, app.zones, app.clock, &app.scheduler);
    if (rc == 0)
        rc = webhooks_start(app.readers, app.writer, app.clock, app.rng, &app.webhooks);
    if (rc == 0)
        rc = http_start(&app, host, port, &srv);
    if (rc < 0) {
        fprintf(stderr, "treu: cannot start: %s\n", treu_strerror(rc));
        goto out;
    }
    log_info("started", "version=%s listen=%s:%u db=\"%s\" readers=%d", TREU_VERSION, host,
             http_port(srv), o->db, o->readers);
    printf("treu: listening on http://%s:%u\n", host, http_port(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    log_info("stopping", "signal=%d", sig);
    exit_code = 0;
out:
    http_stop(srv);
    webhooks_free(app.webhooks); /* before the writer: senders record their attempts */
    scheduler_free(app.scheduler);
    writer_free(app.writer); /* commits whatever is queued */
    store_pool_free(app.readers);
    metrics_free(app.metrics);
    ratelimit_free(app.ratelimit);
    zones_free(app.zones);
    store_free(app.store);
    if (exit_code == 0)
        log_info("stopped", "%s", "clean=true");
    return exit_code;
}

int cli_migrate(const struct cli_opts *o)
{
    struct store *s;
    if (open_store(o, &s) < 0)
        return 1;
    store_free(s);
    printf("treu: database %s is up to date\n", o->db);
    return 0;
}

static void print_key_json(const struct new_key *k)
{
    struct buf b;
    struct jw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "app_id", k->app_id);
    jw_kv_str(&w, "app_token", k->token);
    jw_kv_str(&w, "kind", k->kind == KEY_SERVER ? "server" : "client");
    jw_kv_str(&w, "project_id", k->project_id);
    jw_obj_close(&w);
    print_json(&b);
}

static void print_project_json(const struct new_project *p, const char *name)
{
    struct buf b;
    struct jw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    jw_obj_open(&w);
    jw_kv_str(&w, "project_id", p->project_id);
    jw_kv_str(&w, "name", name);
    jw_kv_str(&w, "app_id", p->server.app_id);
    jw_kv_str(&w, "app_token", p->server.token);
    jw_kv_str(&w, "client_app_id", p->client.app_id);
    jw_kv_str(&w, "client_token", p->client.token);
    jw_obj_close(&w);
    print_json(&b);
}

int cli_project(const struct cli_opts *o)
{
    if (o->nargs != 2 || strcmp(o->args[0], "create") != 0) {
        fprintf(stderr, "usage: treu project create NAME [--json]\n");
        return 2;
    }
    const char *name = o->args[1];
    struct slice ns = slice_from(name);
    if (!ns.len || ns.len > PROJECT_NAME_BYTES_MAX || !json_utf8_valid(ns.ptr, ns.len) ||
        !validate_text(ns)) {
        fprintf(stderr, "treu: the project name must be 1 to %d bytes of text\n",
                PROJECT_NAME_BYTES_MAX);
        return 2;
    }
    struct store *s;
    struct store_conn *c;
    if (open_writer(o, &s, &c))
        return 1;
    struct new_project p;
    int rc = projects_create(c, name, clock_now_us(engine_clock_system()), engine_rng_system(), &p);
    store_conn_free(c);
    store_free(s);
    if (rc < 0) {
        fprintf(stderr, "treu: cannot create project: %s\n", treu_strerror(rc));
        return 1;
    }
    if (o->json) {
        print_project_json(&p, name);
    } else {
        printf("project %s (%s)\n"
               "  server key  X-App-Id: %s\n"
               "              X-App-Token: %s\n"
               "  client key  X-Client-Application-Id: %s\n"
               "              X-Client-Token: %s\n"
               "Tokens are stored hashed: keep them now, treu cannot show them again.\n",
               p.project_id, name, p.server.app_id, p.server.token, p.client.app_id,
               p.client.token);
    }
    return 0;
}

static int keys_list(struct store_conn *c, const struct cli_opts *o)
{
    struct arena a;
    arena_init(&a, 64u * 1024 * 1024);
    struct api_key *keys;
    size_t n;
    int rc = store_key_list(c, o->project, &a, &keys, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *kind = keys[i].kind == KEY_SERVER ? "server" : "client";
        if (o->json)
            printf("{\"app_id\":\"%s\",\"project_id\":\"%s\",\"kind\":\"%s\",\"revoked\":%s}\n",
                   keys[i].app_id, keys[i].project_id, kind, keys[i].revoked_at ? "true" : "false");
        else
            printf("%s  %s  %-6s  %s\n", keys[i].app_id, keys[i].project_id, kind,
                   keys[i].revoked_at ? "revoked" : "active");
    }
    arena_cleanup(&a);
    return rc;
}

static int keys_create(struct store_conn *c, const struct cli_opts *o)
{
    enum key_kind kind;
    if (!o->project || !o->kind ||
        (strcmp(o->kind, "server") != 0 && strcmp(o->kind, "client") != 0)) {
        fprintf(stderr, "usage: treu keys create --project ID --kind server|client [--json]\n");
        return TREU_EINVAL;
    }
    kind = strcmp(o->kind, "server") == 0 ? KEY_SERVER : KEY_CLIENT;
    struct new_key k;
    int rc = projects_key_create(c, o->project, kind, clock_now_us(engine_clock_system()),
                                 engine_rng_system(), &k);
    if (rc == TREU_ENOTFOUND)
        fprintf(stderr, "treu: no project %s\n", o->project);
    if (rc < 0)
        return rc;
    if (o->json)
        print_key_json(&k);
    else
        printf("%s key for %s\n  app id: %s\n  token:  %s\nThe token is stored hashed: keep "
               "it now.\n",
               o->kind, o->project, k.app_id, k.token);
    return 0;
}

static int keys_revoke(struct store_conn *c, const char *app_id)
{
    int rc = store_begin(c);
    if (rc == 0)
        rc = store_key_revoke(c, app_id, clock_now_us(engine_clock_system()));
    if (rc == 0)
        rc = store_commit(c);
    else
        store_rollback(c);
    if (rc == TREU_ENOTFOUND)
        fprintf(stderr, "treu: no active key %s\n", app_id);
    else if (rc == 0)
        printf("revoked %s\n", app_id);
    return rc;
}

int cli_keys(const struct cli_opts *o)
{
    const char *sub = o->nargs ? o->args[0] : "";
    bool list = strcmp(sub, "list") == 0, create = strcmp(sub, "create") == 0;
    bool revoke = strcmp(sub, "revoke") == 0 && o->nargs == 2;
    if (!list && !create && !revoke) {
        fprintf(stderr, "usage: treu keys list|create|revoke ... (see treu help)\n");
        return 2;
    }
    struct store *s;
    struct store_conn *c;
    if (open_writer(o, &s, &c))
        return 1;
    int rc = list ? keys_list(c, o) : create ? keys_create(c, o) : keys_revoke(c, o->args[1]);
    store_conn_free(c);
    store_free(s);
    if (rc < 0 && rc != TREU_EINVAL && rc != TREU_ENOTFOUND)
        fprintf(stderr, "treu: %s\n", treu_strerror(rc));
    return rc == TREU_EINVAL ? 2 : rc < 0 ? 1 : 0;
}

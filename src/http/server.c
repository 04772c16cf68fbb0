/* server.c - libmicrohttpd glue. One struct http_req per request, created on the first
 * callback, freed in the completion callback. Each connection has its own thread, so a
 * handler may block while its command waits for the group commit; the writer keeps
 * many such commands in one transaction. (Suspend/resume on an epoll pool was tried
 * first: libmicrohttpd 0.9.75 then sometimes still counted a connection as suspended
 * at shutdown and aborted in MHD_stop_daemon.) Everything above this file sees only
 * struct request. */
#include "http/server.h"

#include "api/api.h"
#include "api/metrics.h"
#include "core/log.h"
#include "core/validate.h"
#include "engine/projects.h"
#include "http/ratelimit.h"
#include "http/router.h"

#include <microhttpd.h>
#include <sodium.h>
#include <limits.h>
#include <netdb.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct server {
    struct MHD_Daemon *d;
    struct app *app;
    _Atomic int inflight;
    _Atomic bool draining; /* stopping: new requests get 503 and Connection: close */
    uint16_t port;
};

struct http_req {
    struct request r;
    struct server *srv;
    struct MHD_Connection *conn;
    int64_t t0_ns;
    struct buf upload;
    size_t route;
    bool too_large;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Percent-decoding for the path and query arguments (MHD_OPTION_UNESCAPE_CALLBACK); the
 * decoding itself is pure and lives in the router (router_unescape). */
static size_t url_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls, (void)conn;
    return router_unescape(s);
}

/* Puts encoded slashes back; copies into the arena only when there is one. */
static const char *unmark_slashes(struct request *r, const char *s)
{
    if (!s || !strchr(s, ROUTER_SLASH_MARK))
        return s;
    char *c = arena_strdup(&r->arena, s);
    for (char *p = c; p && *p; p++) {
        if (*p == ROUTER_SLASH_MARK)
            *p = '/';
    }
    return c;
}

static const char *io_query(struct request *r, const char *name)
{
    struct http_req *h = (struct http_req *)r;
    return unmark_slashes(r, MHD_lookup_connection_value(h->conn, MHD_GET_ARGUMENT_KIND, name));
}

static const char *io_header(struct request *r, const char *name)
{
    struct http_req *h = (struct http_req *)r;
    return MHD_lookup_connection_value(h->conn, MHD_HEADER_KIND, name);
}

static const struct request_io http_io = {io_query, io_header};

static void assign_request_id(struct http_req *h)
{
    const char *given = io_header(&h->r, "X-Request-Id");
    if (given && validate_request_id(slice_from(given), REQUEST_ID_BYTES_MAX)) {
        snprintf(h->r.request_id, sizeof h->r.request_id, "%s", given);
        return;
    }
    memcpy(h->r.request_id, "req_", 4);
    ids_base62(h->srv->app->rng, h->r.request_id + 4, 20);
}

static enum MHD_Result send_answer(struct http_req *h)
{
    struct request *r = &h->r;
    if (r->out.err) {
        int err = r->out.err;
        buf_cleanup(&r->out);
        buf_init(&r->out, RESPONSE_BYTES_MAX);
        reply_op_error(r, err);
    }
    if (r->status == 204)
        buf_reset(&r->out);
    size_t len = r->out.len;
    char *body = len ? buf_take(&r->out) : NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (r->status != 204)
        MHD_add_response_header(resp, "Content-Type",
                                r->content_type ? r->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (r->allow)
        MHD_add_response_header(resp, "Allow", r->allow);
    if (r->replayed)
        MHD_add_response_header(resp, "Idempotent-Replayed", "true");
    if (r->retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after_s);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (atomic_load(&h->srv->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(h->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* The X-App-Id/X-App-Token or X-Client-Application-Id/X-Client-Token pair. -1 after
 * answering 401. */
static int check_key_pair(struct request *r, struct store_conn *c, struct api_key *key)
{
    const char *sid = io_header(r, "X-App-Id"), *stok = io_header(r, "X-App-Token");
    const char *cid = io_header(r, "X-Client-Application-Id");
    const char *ctok = io_header(r, "X-Client-Token");
    bool server = sid && stok;
    if (!server && !(cid && ctok)) {
        reply_error(r, 401, "unauthorized", "Unauthorized",
                    "send X-App-Id and X-App-Token (server key) or X-Client-Application-Id "
                    "and X-Client-Token (client key)");
        return -1;
    }
    enum key_check res;
    int rc = projects_key_check(c, server ? sid : cid, server ? stok : ctok, &r->arena, key, &res);
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    if (res != KEY_OK || key->kind != (server ? KEY_SERVER : KEY_CLIENT)) {
        reply_error(r, 401, "unauthorized", "Unauthorized",
                    res == KEY_REVOKED ? "this key was revoked"
                                       : "unknown application id or wrong token");
        return -1;
    }
    return 0;
}

#define HTTP_BASIC_BYTES_MAX 512 /* decoded "user:password" of an Authorization: Basic */

/* A Segment-style write key: HTTP Basic with the token as the user name and an empty
 * password (a password, if sent, is ignored). Either kind of key is accepted. -1 after
 * answering 401. */
static int check_write_key(struct request *r, struct store_conn *c, struct api_key *key)
{
    const char *auth = io_header(r, "Authorization");
    char user[HTTP_BASIC_BYTES_MAX + 1];
    size_t len = 0;
    bool ok =
        auth && strncasecmp(auth, "Basic ", 6) == 0 &&
        sodium_base642bin((unsigned char *)user, HTTP_BASIC_BYTES_MAX, auth + 6, strlen(auth + 6),
                          " ", &len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0;
    if (ok) {
        user[len] = '\0';
        char *colon = memchr(user, ':', len);
        len = colon ? (size_t)(colon - user) : len;
        ok = len > 0;
    }
    if (!ok) {
        reply_error(r, 401, "unauthorized", "Unauthorized",
                    "send the write key (a treu key's token) as the HTTP Basic user name with "
                    "an empty password: Authorization: Basic base64(\"<token>:\")");
        return -1;
    }
    enum key_check res;
    int rc = projects_key_check_token(c, user, len, &r->arena, key, &res);
    sodium_memzero(user, sizeof user);
    if (rc < 0) {
        reply_op_error(r, rc);
        return -1;
    }
    if (res != KEY_OK) {
        reply_error(r, 401, "unauthorized", "Unauthorized",
                    res == KEY_REVOKED ? "this write key was revoked" : "invalid write key");
        return -1;
    }
    return 0;
}

/* Checks the key the route needs. Returns -1 after answering 401/403/429. */
static int authenticate(struct http_req *h, const struct route *rt)
{
    struct request *r = &h->r;
    if (rt->auth == AUTH_PUBLIC)
        return 0;
    struct api_key key;
    struct store_conn *c = req_reader(r);
    int rc = rt->auth == AUTH_WRITE_KEY ? check_write_key(r, c, &key) : check_key_pair(r, c, &key);
    req_reader_release(r, c);
    if (rc < 0)
        return -1;
    if (key.kind == KEY_CLIENT && rt->auth == AUTH_SERVER) {
        reply_error(r, 403, "forbidden", "Forbidden",
                    "a client key cannot call %s %s; use a server key", rt->method, rt->pattern);
        return -1;
    }
    r->auth_kind = key.kind == KEY_SERVER ? AUTH_SERVER : AUTH_CLIENT;
    memcpy(r->project_id, key.project_id, sizeof r->project_id);
    int wait_s;
    if (r->app->ratelimit && !ratelimit_take(r->app->ratelimit, key.app_id, key.kind,
                                             (int64_t)(mono_ns() / 1000), &wait_s)) {
        r->retry_after_s = wait_s;
        reply_error(r, 429, "too_many_requests", "Too many requests",
                    "this key's request rate is limited; retry after %d s", wait_s);
        return -1;
    }
    return 0;
}

static bool method_has_effect(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
           strcmp(m, "PATCH") == 0;
}

/* Validates what every request shares before the handler runs. -1 after answering. */
static int check_envelope(struct http_req *h)
{
    struct request *r = &h->r;
    if (h->too_large) {
        reply_error(r, 413, "payload_too_large", "Payload too large",
                    "the request body is larger than %d bytes", HTTP_BODY_BYTES_MAX);
        return -1;
    }
    const char *ct = io_header(r, "Content-Type");
    if (r->body.len && ct && strncasecmp(ct, "application/json", 16) != 0) {
        reply_error(r, 415, "unsupported_media_type", "Unsupported media type",
                    "send Content-Type: application/json (curl -d alone sends "
                    "application/x-www-form-urlencoded; add -H 'Content-Type: "
                    "application/json')");
        return -1;
    }
    const char *key = io_header(r, "Idempotency-Key");
    if (key && method_has_effect(r->method)) {
        if (!validate_token(slice_from(key), IDEMPOTENCY_KEY_BYTES_MAX)) {
            reply_error(r, 400, "invalid_param", "Invalid Idempotency-Key",
                        "Idempotency-Key: 1 to %d printable ASCII characters without spaces",
                        IDEMPOTENCY_KEY_BYTES_MAX);
            return -1;
        }
        r->idem_key = key;
    }
    return 0;
}

static void dispatch(struct http_req *h)
{
    struct request *r = &h->r;
    r->body = (struct slice){h->upload.ptr ? h->upload.ptr : "", h->upload.len};
    if (check_envelope(h) < 0)
        return;
    struct router_match m;
    enum router_result res =
        router_find(api_routes, api_routes_count, r->method, r->path, &r->arena, &m);
    if (res == ROUTER_NOT_FOUND) {
        reply_error(r, 404, "not_found", "Resource not found", "no route %s %.200s", r->method,
                    r->path);
        return;
    }
    if (res == ROUTER_METHOD_NOT_ALLOWED) {
        r->allow = arena_strdup(&r->arena, m.allow);
        reply_error(r, 405, "method_not_allowed", "Method not allowed",
                    "%s is not allowed here; allowed: %s", r->method, m.allow);
        return;
    }
    h->route = m.index;
    const struct route *rt = &api_routes[m.index];
    r->nparams = m.nparams;
    for (int i = 0; i < m.nparams; i++)
        r->params[i] = unmark_slashes(r, m.params[i]);
    if (authenticate(h, rt) < 0)
        return;
    rt->handler(r);
}

static struct http_req *http_req_new(struct server *s, struct MHD_Connection *conn, const char *url,
                                     const char *method)
{
    struct http_req *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    request_init(&h->r, s->app, &http_io);
    h->srv = s;
    h->conn = conn;
    h->t0_ns = mono_ns();
    h->route = METRICS_NO_ROUTE;
    buf_init(&h->upload, HTTP_BODY_BYTES_MAX);
    h->r.method = arena_strdup(&h->r.arena, method);
    h->r.path = arena_strdup(&h->r.arena, url);
    if (!h->r.method || !h->r.path) {
        request_cleanup(&h->r);
        free(h);
        return NULL;
    }
    assign_request_id(h);
    atomic_fetch_add(&s->inflight, 1);
    return h;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct http_req *h = *con_cls;
    (void)version;
    if (!h) {
        h = http_req_new(s, conn, url, method);
        if (!h)
            return MHD_NO;
        *con_cls = h;
        if (atomic_load(&s->draining)) {
            reply_op_error(&h->r, TREU_ESTOPPED);
            return send_answer(h);
        }
        /* An oversized body is read and dropped, so the client can read our 413; one
         * too large even for that is answered at once and the connection closed. */
        const char *cl = io_header(&h->r, "Content-Length");
        long long len = cl && strlen(cl) <= 12 ? strtoll(cl, NULL, 10) : cl ? LLONG_MAX : 0;
        h->too_large = len > HTTP_BODY_BYTES_MAX;
        if (len > HTTP_DISCARD_BYTES_MAX) {
            check_envelope(h);
            return send_answer(h);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!h->too_large && buf_append(&h->upload, upload_data, *upload_data_size) < 0)
            h->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    dispatch(h);
    return send_answer(h);
}

/* Path for the access log: printable ASCII, everything else percent-encoded again, so a
 * crafted URL cannot forge log lines and "Jeweller Club" reads as Jeweller%20Club. */
static void log_safe(const char *in, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *in && o + 4 < size; in++) {
        unsigned char c = (unsigned char)*in;
        bool encode = c < 0x21 || c > 0x7E || c == '"' || c == '\\' || c == '%';
        if (c == (unsigned char)ROUTER_SLASH_MARK) { /* sent as %2F, kept apart for routing */
            c = '/';
            encode = true;
        }
        if (encode) {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct http_req *h = *con_cls;
    (void)conn;
    if (!h)
        return;
    *con_cls = NULL;
    double secs = (double)(mono_ns() - h->t0_ns) / 1e9;
    int status = h->r.status ? h->r.status : 499;
    metrics_observe(s->app->metrics, h->route, status, secs);
    if (log_enabled(LOG_INFO) || status >= 500) {
        char path[256];
        log_safe(h->r.path, path, sizeof path);
        log_write(status >= 500 ? LOG_WARN : LOG_INFO, "request",
                  "method=%s path=\"%s\" status=%d dur_us=%lld request_id=%s project=%s "
                  "bytes_in=%zu%s",
                  h->r.method, path, status, (long long)(secs * 1e6), h->r.request_id,
                  h->r.project_id[0] ? h->r.project_id : "-", h->upload.len,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
    }
    buf_cleanup(&h->upload);
    request_cleanup(&h->r);
    free(h);
    atomic_fetch_sub(&s->inflight, 1);
}

int http_start(struct app *app, const char *host, uint16_t port, struct server **out)
{
    *out = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    if (getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai) {
        log_error("cannot resolve listen address", "host=\"%s\"", host);
        return TREU_EINVAL;
    }
    struct server *s = calloc(1, sizeof *s);
    if (!s) {
        freeaddrinfo(ai);
        return TREU_ENOMEM;
    }
    s->app = app;
    atomic_init(&s->inflight, 0);
    atomic_init(&s->draining, false);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)HTTP_THREAD_STACK_BYTES, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_UNESCAPE_CALLBACK, url_unescape, NULL,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->d) {
        log_error("cannot listen", "host=\"%s\" port=%u hint=\"is the port in use?\"", host, port);
        free(s);
        return TREU_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    *out = s;
    return 0;
}

uint16_t http_port(const struct server *s)
{
    return s->port;
}

void http_stop(struct server *s)
{
    if (!s)
        return;
    /* Stop accepting, turn away new requests on open connections, and let the writer
     * answer the suspended ones: MHD must not be stopped while any is suspended. */
    atomic_store(&s->draining, true);
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    for (int waited = 0; atomic_load(&s->inflight) > 0 && waited < HTTP_DRAIN_MS_MAX; waited += 10)
        usleep(10 * 1000);
    if (atomic_load(&s->inflight) > 0)
        log_warn("stopping with requests in flight", "count=%d", atomic_load(&s->inflight));
    MHD_stop_daemon(s->d);
    free(s);
}

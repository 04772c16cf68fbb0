/* request.h - what a handler sees of an HTTP request, without knowing the HTTP library.
 * The http layer fills a struct request, authenticates it, and calls the route's handler
 * on the connection's thread. A handler either answers at once (reply_*) or submits a
 * command to the writer (api_submit), which blocks until the commit covering it is
 * durable and then answers.
 * Memory: everything a handler allocates comes from r->arena, released with the request.
 * Failure paths use the `…_or_reply` helpers: they answer the error and return -1. */
#ifndef TREU_REQUEST_H
#define TREU_REQUEST_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "engine/writer.h"
#include "store/pool.h"

#include <pthread.h>
#include <stdbool.h>

#define REQUEST_PARAMS_MAX        4
#define REQUEST_ID_BYTES_MAX      64
#define REQUEST_ARENA_BYTES_MAX   (8u * 1024 * 1024)
#define RESPONSE_BYTES_MAX        (8u * 1024 * 1024)
#define IDEMPOTENCY_KEY_BYTES_MAX 255
#define LIST_LIMIT_MAX            100
#define LIST_LIMIT_DEFAULT        10
#define LIST_PAGE_MAX             1000000

/* Long-lived state shared by all requests; created at start, read-only afterwards. */
struct app {
    struct store *store;
    struct store_pool *readers;
    struct writer *writer;
    const struct clock *clock;
    const struct rng *rng;
    const char *version;
    struct metrics *metrics;
    struct zones *zones;
    struct scheduler *scheduler;
    struct webhooks *webhooks;
    struct clock_offset *test_clock; /* NULL unless serve --test-clock */
    struct ratelimit *ratelimit;     /* per-key request rates; NULL = none */
};

enum route_auth {
    AUTH_PUBLIC = 0,    /* no key needed */
    AUTH_SERVER = 1,    /* server key */
    AUTH_CLIENT = 2,    /* client key */
    AUTH_WRITE_KEY = 3, /* Segment-style: a key's token alone, as the HTTP Basic user name */
};

struct request;

/* Provided by the http layer for each request. */
struct request_io {
    const char *(*query)(struct request *r, const char *name);
    const char *(*header)(struct request *r, const char *name);
};

struct request {
    struct app *app;
    const struct request_io *io;
    struct arena arena;
    const char *method;
    const char *path;
    const char *params[REQUEST_PARAMS_MAX];
    int nparams;
    struct slice body;
    char request_id[REQUEST_ID_BYTES_MAX + 1];
    const char *idem_key;

    /* Set by authentication. */
    enum route_auth auth_kind;
    char project_id[IDS_MAX_LEN];

    /* The answer. */
    int status;
    struct buf out;
    const char *allow;        /* Allow header for 405 */
    const char *content_type; /* NULL = application/json */
    bool replayed;            /* Idempotent-Replayed: true */
    int retry_after_s;        /* Retry-After on a 429, 0 = none */

    /* A write waiting for its commit. */
    struct command cmd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cmd_done; /* guarded by mu */
    cJSON *json;   /* the parsed body, freed with the request */
};

/* Prepares a request's own storage. */
void request_init(struct request *r, struct app *app, const struct request_io *io);
/* Releases everything the request holds. */
void request_cleanup(struct request *r);

/* Answers `status` with the JSON already written into r->out. */
void reply_json(struct request *r, int status);
/* Answers with no body (204). */
void reply_empty(struct request *r, int status);
/* Writes the standard error body into `b` (for answers made on the writer thread). */
void api_error_body(struct buf *b, int status, const char *key, const char *message,
                    const char *details, const char *request_id);
/* Voucherify's list envelope around the items written between the two calls:
 * {"object": "list", "data_ref": REF, REF: [...], "total": N, "has_more": B}. */
void api_list_open(struct jw *w, const char *data_ref);
void api_list_close(struct jw *w, int64_t total, bool has_more);
/* Answers the standard error body {code, key, message, details, request_id}. */
void reply_error(struct request *r, int status, const char *key, const char *message,
                 const char *details_fmt, ...) TREU_PRINTF(5, 6);
/* After a failed read: 404 "Cannot find <what> with id <ref>" for TREU_ENOTFOUND, else
 * the operating error. */
void reply_read_error(struct request *r, int rc, const char *what, const char *ref);
/* 503 / 500 for an operating error, with a message that says whether to retry. */
void reply_op_error(struct request *r, int rc);

/* Parses the body as one JSON object into r->json. -1 after replying 400. */
int req_json_object_or_reply(struct request *r, cJSON **out);

/* Parses the body as a JSON array of 1..max items (`what` names them in messages, e.g.
 * "earning rules"); with `one_ok` a single object is taken as an array of one, as
 * Voucherify's batch endpoints allow. *first is the first item, *n the count. -1 after
 * replying 400 (or 503 when out of memory). */
int req_json_items_or_reply(struct request *r, bool one_ok, size_t max, const char *what,
                            cJSON **first, size_t *n);

/* Query parameter helpers: -1 after replying 400 naming the parameter. */
/* `limit` (1..LIST_LIMIT_MAX, default LIST_LIMIT_DEFAULT) and `page` (from 1) as a page. */
int req_page_or_reply(struct request *r, struct page *pg);
int req_query_int_or_reply(struct request *r, const char *name, int64_t dflt, int64_t min,
                           int64_t max, int64_t *out);
int req_query_time_or_reply(struct request *r, const char *name, int64_t *out);

/* Refuses fields of `obj` not in `allowed` (NULL-terminated) or `ignored`. */
int req_known_fields_or_reply(struct request *r, const cJSON *obj, const char *const *allowed,
                              const char *const *ignored, const char *where);

/* Reads an optional string field: absent → f->set false; null → set with NULL; a string of
 * valid text up to max_len bytes → set. Anything else → -1 after replying 400. */
int req_string_field_or_reply(struct request *r, const cJSON *obj, const char *name, size_t max_len,
                              bool nullable, struct opt_str *f);

/* Reads an optional object-or-null field: absent → f->set false, *obj NULL; null → f->set
 * true, *obj NULL; an object → f->set true, *obj it. Anything else → -1 after replying 400.
 * The caller turns *obj into f->v. */
int req_object_field_or_reply(struct request *r, const cJSON *body, const char *name,
                              const cJSON **obj, struct opt_str *f);

/* Typed optional fields; `where` prefixes the field name in messages ("" at top level).
 * Absent → *present false and *out untouched. null → refused unless noted. -1 after
 * replying 400 naming the field. */
int req_int_field_or_reply(struct request *r, const cJSON *obj, const char *where, const char *name,
                           int64_t min, int64_t max, int64_t *out, bool *present);
int req_bool_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, bool *out, bool *present);
/* An ISO 8601 instant or null (null → *out 0, *present true). */
int req_time_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, int64_t *out, bool *present);
/* One of `values` (NULL-terminated); *out is its index. */
int req_enum_field_or_reply(struct request *r, const cJSON *obj, const char *where,
                            const char *name, const char *const *values, int *out, bool *present);
/* Copies a validated JSON value into the arena as compact JSON (escaped like jw). */
const char *req_json_text(struct request *r, const cJSON *v);

/* A zone name the zone database knows (validated and loaded once, cached). -1 after
 * replying 400 naming `timezone`, or 503 on storage trouble. */
int req_timezone_or_reply(struct request *r, const char *name);

/* Submits r->cmd (its apply and input set by the handler) to the writer, waits until the
 * commit that covers it is durable (or failed), and answers with the command's outcome:
 * its own status and body, a replay, a 409 for a reused key, or a 503. */
void api_submit(struct request *r);

/* Borrow a read connection for the duration of the handler. */
struct store_conn *req_reader(struct request *r);
void req_reader_release(struct request *r, struct store_conn *c);

#endif

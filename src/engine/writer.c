/* writer.c - one thread, one connection, one transaction per batch.
 *
 * Why a single writer: SQLite allows one writer anyway, and a single thread that owns all
 * mutations needs no row locks, so commands for the same member apply in arrival order and
 * a check-then-debit can never race. Group commit amortizes the fsync over the batch.
 *
 * Failure model: a command's business failure (status >= 400) rolls back its savepoint
 * only. An operating error (disk full, I/O) aborts the whole batch: every command in it is
 * answered COMMAND_FAILED and nothing of the batch is durable, so no caller ever gets an
 * acknowledgement for a write that was not committed. */
#include "engine/writer.h"

#include "core/json.h"
#include "core/log.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

struct writer {
    struct store_conn *conn;
    const struct clock *clock;
    const struct rng *rng;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct command *head, *tail; /* guarded by mu */
    size_t queued;               /* guarded by mu */
    bool stopping;               /* guarded by mu */
    int64_t last_now;            /* writer thread only */
    bool batch_notify;           /* writer thread only: a kept command set tx->notify */
    void (*hook)(void *arg);     /* guarded by mu */
    void *hook_arg;              /* guarded by mu */
    struct writer_stats stats;
};

static const double writer_batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
static const double writer_commit_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                              0.025,  0.05,    0.1,    0.25,  0.5,    1};

static const double writer_queue_bounds[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05,
                                             0.1,    0.5,    1,     2.5,   5,    10};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const struct writer_stats *writer_stats(const struct writer *w)
{
    return &w->stats;
}

int writer_submit(struct writer *w, struct command *cmd)
{
    ASSERT(cmd->apply && cmd->done && cmd->project_id);
    cmd->next = NULL;
    cmd->outcome = COMMAND_FAILED;
    cmd->rc = 0;
    cmd->status = 0;
    cmd->conflict_field[0] = '\0';
    cmd->submitted_us = mono_us();
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    if (w->stopping)
        rc = TREU_ESTOPPED;
    else if (w->queued >= WRITER_QUEUE_MAX)
        rc = TREU_ELIMIT;
    if (rc == 0) {
        if (w->tail)
            w->tail->next = cmd;
        else
            w->head = cmd;
        w->tail = cmd;
        w->queued++;
        atomic_store_explicit(&w->stats.queue_depth, (int64_t)w->queued, memory_order_relaxed);
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Takes up to `max` queued commands. Caller holds mu. */
static struct command *writer_take_locked(struct writer *w, size_t max, size_t *n)
{
    struct command *first = w->head, *last = NULL, *c = w->head;
    size_t k = 0;
    while (c && k < max) {
        last = c;
        c = c->next;
        k++;
    }
    if (!last)
        return NULL;
    w->head = c;
    if (!c)
        w->tail = NULL;
    last->next = NULL;
    w->queued -= k;
    atomic_store_explicit(&w->stats.queue_depth, (int64_t)w->queued, memory_order_relaxed);
    *n = k;
    return first;
}

/* Names the first top-level field whose value differs between two JSON request bodies,
 * so a 409 tells the caller what changed. Falls back to "body". */
static void writer_diff_field(struct slice a, struct slice b, char *out, size_t size)
{
    snprintf(out, size, "body");
    cJSON *ja = NULL, *jb = NULL;
    struct json_error e;
    if (json_parse(a.ptr, a.len, JSON_DEPTH_MAX, &ja, &e) < 0 ||
        json_parse(b.ptr, b.len, JSON_DEPTH_MAX, &jb, &e) < 0 || !cJSON_IsObject(ja) ||
        !cJSON_IsObject(jb))
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        cJSON *x = pass ? jb : ja, *y = pass ? ja : jb;
        for (cJSON *f = x->child; f; f = f->next) {
            cJSON *g = cJSON_GetObjectItemCaseSensitive(y, f->string);
            if (!g || !cJSON_Compare(f, g, 1)) {
                snprintf(out, size, "%s", f->string);
                goto out;
            }
        }
    }
out:
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

/* Returns true when an idempotency record decided the outcome already. */
static int writer_check_idem(struct writer *w, struct command *cmd, struct arena *a, bool *decided)
{
    struct idem_record rec;
    *decided = false;
    int rc = store_idem_get(w->conn, cmd->project_id, cmd->idem_key, a, &rec);
    if (rc == TREU_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    *decided = true;
    if (memcmp(rec.request_hash, cmd->request_hash, STORE_HASH_BYTES) != 0) {
        cmd->outcome = COMMAND_IDEM_CONFLICT;
        writer_diff_field((struct slice){rec.request, rec.request_len}, cmd->request,
                          cmd->conflict_field, sizeof cmd->conflict_field);
        return 0;
    }
    cmd->outcome = COMMAND_REPLAYED;
    cmd->status = rec.status;
    buf_reset(&cmd->body);
    return buf_append(&cmd->body, rec.response, rec.response_len);
}

static int writer_run_one(struct writer *w, struct command *cmd)
{
    struct arena a;
    arena_init(&a, 4 * 1024 * 1024);
    int rc = 0;
    if (cmd->idem_key) {
        bool decided;
        rc = writer_check_idem(w, cmd, &a, &decided);
        if (rc < 0 || decided)
            goto out;
    }
    int64_t now = clock_now_us(w->clock);
    w->last_now = now > w->last_now ? now : w->last_now + 1;
    bool notify = false;
    struct writer_tx tx = {
        .conn = w->conn, .now_us = w->last_now, .rng = w->rng, .notify = &notify};
    rc = store_savepoint(w->conn);
    if (rc < 0)
        goto out;
    buf_reset(&cmd->body);
    rc = cmd->apply(cmd, &tx);
    if (rc == 0 && cmd->body.err)
        rc = cmd->body.err;
    if (rc < 0)
        goto undo;
    if (cmd->status >= 400)
        rc = store_savepoint_undo(w->conn);
    if (rc < 0)
        goto undo;
    if (cmd->idem_key && cmd->status < 500) {
        struct idem_record rec = {
            .request = cmd->request.ptr,
            .request_len = cmd->request.len,
            .status = cmd->status,
            .response = buf_cstr(&cmd->body),
            .response_len = cmd->body.len,
            .created_at = tx.now_us,
        };
        memcpy(rec.request_hash, cmd->request_hash, STORE_HASH_BYTES);
        rc = store_idem_put(w->conn, cmd->project_id, cmd->idem_key, &rec);
        if (rc < 0)
            goto undo;
    }
    rc = store_savepoint_release(w->conn);
    if (rc < 0)
        goto undo;
    cmd->outcome = COMMAND_APPLIED;
    if (notify && cmd->status < 400)
        w->batch_notify = true;
    goto out;
undo:
    store_savepoint_rollback(w->conn);
out:
    arena_cleanup(&a);
    if (rc < 0) {
        cmd->outcome = COMMAND_FAILED;
        cmd->rc = rc;
    }
    return rc;
}

static void writer_complete(struct writer *w, struct command *list)
{
    while (list) {
        struct command *next = list->next;
        list->next = NULL;
        list->done(list); /* may free the command */
        list = next;
    }
    (void)w;
}

static void writer_fail_all(struct command *list, int rc)
{
    for (struct command *c = list; c; c = c->next) {
        c->outcome = COMMAND_FAILED;
        c->rc = rc;
    }
}

/* Applies `first` and whatever else arrives within the linger window, commits once,
 * then answers them all. */
static void writer_run_batch(struct writer *w, struct command *first, size_t n)
{
    int64_t t0 = mono_us();
    struct command *head = first, *tail = first;
    w->batch_notify = false;
    while (tail->next)
        tail = tail->next;
    int rc = store_begin(w->conn);
    if (rc < 0) {
        atomic_fetch_add_explicit(&w->stats.failed_commits, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->stats.commands, n, memory_order_relaxed);
        writer_fail_all(head, rc);
        writer_complete(w, head);
        return;
    }
    struct command *c = head;
    for (;;) {
        for (; c && rc == 0; c = c->next) {
            hist_observe(&w->stats.queue_seconds, (double)(mono_us() - c->submitted_us) / 1e6);
            int crc = writer_run_one(w, c);
            if (crc < 0 && crc != TREU_ELIMIT && crc != TREU_ENOMEM)
                rc = crc; /* storage trouble: the transaction cannot be trusted */
        }
        if (rc < 0 || n >= WRITER_BATCH_MAX || mono_us() - t0 >= WRITER_LINGER_US)
            break;
        pthread_mutex_lock(&w->mu);
        size_t k = 0;
        struct command *more = writer_take_locked(w, WRITER_BATCH_MAX - n, &k);
        pthread_mutex_unlock(&w->mu);
        if (!more)
            break;
        tail->next = more;
        c = more;
        while (tail->next)
            tail = tail->next;
        n += k;
    }
    int64_t tc = mono_us();
    if (rc == 0)
        rc = store_commit(w->conn);
    if (rc < 0) {
        store_rollback(w->conn);
        writer_fail_all(head, rc);
        atomic_fetch_add_explicit(&w->stats.failed_commits, 1, memory_order_relaxed);
        log_error("batch failed", "commands=%zu err=\"%s\"", n, treu_strerror(rc));
    } else {
        hist_observe(&w->stats.commit_seconds, (double)(mono_us() - tc) / 1e6);
        hist_observe(&w->stats.apply_seconds, (double)(tc - t0) / 1e6);
        hist_observe(&w->stats.batch_size, (double)n);
        atomic_fetch_add_explicit(&w->stats.commits, 1, memory_order_relaxed);
        if (w->batch_notify) {
            /* Under mu, so writer_set_commit_hook(NULL) waits for a call in progress. */
            pthread_mutex_lock(&w->mu);
            if (w->hook)
                w->hook(w->hook_arg);
            pthread_mutex_unlock(&w->mu);
        }
    }
    atomic_fetch_add_explicit(&w->stats.commands, n, memory_order_relaxed);
    writer_complete(w, head);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head && w->stopping) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        size_t n = 0;
        struct command *batch = writer_take_locked(w, WRITER_BATCH_MAX, &n);
        pthread_mutex_unlock(&w->mu);
        writer_run_batch(w, batch, n);
    }
    return NULL;
}

void writer_set_commit_hook(struct writer *w, void (*hook)(void *arg), void *arg)
{
    pthread_mutex_lock(&w->mu);
    w->hook = hook;
    w->hook_arg = arg;
    pthread_mutex_unlock(&w->mu);
}

int writer_start(struct store *s, const struct clock *clock, const struct rng *rng,
                 struct writer **out)
{
    *out = NULL;
    struct writer *w = calloc(1, sizeof *w);
    if (!w)
        return TREU_ENOMEM;
    w->clock = clock;
    w->rng = rng;
    hist_init(&w->stats.batch_size, writer_batch_bounds, TREU_ARRAY_LEN(writer_batch_bounds));
    hist_init(&w->stats.commit_seconds, writer_commit_bounds, TREU_ARRAY_LEN(writer_commit_bounds));
    hist_init(&w->stats.queue_seconds, writer_queue_bounds, TREU_ARRAY_LEN(writer_queue_bounds));
    hist_init(&w->stats.apply_seconds, writer_commit_bounds, TREU_ARRAY_LEN(writer_commit_bounds));
    int rc = store_conn_open(s, true, &w->conn);
    if (rc < 0) {
        free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        store_conn_free(w->conn);
        free(w);
        return TREU_ENOMEM;
    }
    *out = w;
    return 0;
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    store_conn_free(w->conn);
    free(w);
}

/* writer_test.c - the single writer and its group commit, on a migrated temporary SQLite
 * store with a fake clock and a deterministic rng.
 *
 * Batches are made deterministic with a gate: a first command whose apply blocks until
 * the test has queued the rest, then sleeps past WRITER_LINGER_US, so it commits alone
 * and the writer takes everything queued meanwhile as the next batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/log.h"
#include "engine/writer.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define P1           "proj_one"
#define P2           "proj_two"
#define T0           INT64_C(1700000000000000) /* the fake clock's start */
#define NOW_LOG_MAX  4096
#define WAIT_SECONDS 30

struct fake_clock {
    _Atomic int64_t now;
};

struct wt {
    char dir[64];
    char url[128];
    struct store *s;
    struct writer *w;
    struct fake_clock fc;
    struct clock clock;
    uint64_t seed;
    struct rng rng;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done_total;               /* guarded by mu */
    bool gate_entered;            /* guarded by mu */
    bool gate_open;               /* guarded by mu */
    bool check_visible;           /* set before submitting */
    int64_t now_log[NOW_LOG_MAX]; /* writer thread: tx->now_us of each apply, in order */
    size_t napplied;
    int rng_mismatch;
    struct tcmd *cmds; /* owned here so a failed test never frees a queued command */
    size_t ncmds;
};

enum mode { M_OK, M_GATE, M_409, M_ELIMIT, M_EIO };

struct tcmd {
    struct command cmd;
    struct wt *t;
    enum mode mode;
    char id[IDS_MAX_LEN];
    int apply_calls; /* writer thread */
    int64_t now_us;  /* writer thread */
    int visible;     /* in done: 1 seen by a fresh reader, 0 not, <0 error, -100 unchecked */
    int done_calls;  /* guarded by t->mu */
};

static int64_t fake_now(void *ctx)
{
    struct fake_clock *c = ctx;
    return atomic_load(&c->now);
}

static void splitmix_fill(void *ctx, void *out, size_t n)
{
    uint64_t *x = ctx;
    unsigned char *o = out;
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        o[i] = (unsigned char)(z ^ (z >> 31));
    }
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* 1 when a fresh read-only connection sees the customer, 0 when not, else the error. */
static int row_visible(struct store *s, const char *pid, const char *id)
{
    struct store_conn *r = NULL;
    int rc = store_conn_open(s, false, &r);
    if (rc < 0)
        return rc;
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct customer out;
    rc = store_customer_get(r, pid, id, &a, &out);
    arena_cleanup(&a);
    store_conn_free(r);
    return rc == 0 ? 1 : rc == TREU_ENOTFOUND ? 0 : rc;
}

static int64_t count_rows(struct store *s, const char *pid)
{
    struct store_conn *r = NULL;
    assert_int_equal(store_conn_open(s, false, &r), 0);
    struct arena a;
    arena_init(&a, 64 * 1024);
    struct customer_query q = {.limit = 1};
    struct customer *rows = NULL;
    size_t n = 0;
    int64_t total = -1;
    bool more = false;
    int rc = store_customer_list(r, pid, &q, &a, &rows, &n, &total, &more);
    arena_cleanup(&a);
    store_conn_free(r);
    assert_int_equal(rc, 0);
    return total;
}

/* ------------------------------------------------------------ the commands */

static void gate_pass(struct wt *t)
{
    pthread_mutex_lock(&t->mu);
    t->gate_entered = true;
    pthread_cond_broadcast(&t->cv);
    while (!t->gate_open)
        pthread_cond_wait(&t->cv, &t->mu);
    pthread_mutex_unlock(&t->mu);
    /* Past the linger window, so this batch closes without taking the queued ones. */
    usleep(3 * WRITER_LINGER_US);
}

static int tcmd_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct tcmd *c = cmd->input;
    struct wt *t = c->t;
    c->apply_calls++;
    c->now_us = tx->now_us;
    if (t->napplied < NOW_LOG_MAX)
        t->now_log[t->napplied++] = tx->now_us;
    if (tx->rng != &t->rng)
        t->rng_mismatch++;
    if (c->mode == M_GATE)
        gate_pass(t);
    struct customer cu = {.name = "n", .created_at = tx->now_us, .updated_at = tx->now_us};
    memcpy(cu.id, c->id, sizeof cu.id);
    int rc = store_customer_insert(tx->conn, cmd->project_id, &cu);
    if (rc < 0)
        return rc;
    switch (c->mode) {
    case M_ELIMIT: return TREU_ELIMIT;
    case M_EIO: return TREU_EIO;
    case M_409:
        cmd->status = 409;
        return buf_printf(&cmd->body, "{\"error\":\"conflict\",\"id\":\"%s\"}", c->id);
    default: cmd->status = 201; return buf_printf(&cmd->body, "{\"id\":\"%s\"}", c->id);
    }
}

static void tcmd_done(struct command *cmd)
{
    struct tcmd *c = cmd->done_arg;
    struct wt *t = c->t;
    if (t->check_visible)
        c->visible = row_visible(t->s, cmd->project_id, c->id);
    pthread_mutex_lock(&t->mu);
    c->done_calls++;
    t->done_total++;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* Makes `n` more commands owned by the fixture; returns the first. */
static struct tcmd *new_cmds(struct wt *t, size_t n, enum mode mode, const char *pid)
{
    /* One allocation per test: the fixture frees it after writer_free. */
    assert_null(t->cmds);
    t->cmds = calloc(n, sizeof *t->cmds);
    assert_non_null(t->cmds);
    t->ncmds = n;
    for (size_t i = 0; i < n; i++) {
        struct tcmd *c = &t->cmds[i];
        c->t = t;
        c->mode = mode;
        c->visible = -100;
        snprintf(c->id, sizeof c->id, "cust_%05zu", i);
        c->cmd.project_id = pid;
        c->cmd.apply = tcmd_apply;
        c->cmd.input = c;
        c->cmd.done = tcmd_done;
        c->cmd.done_arg = c;
        buf_init(&c->cmd.body, 4096);
    }
    return t->cmds;
}

static void set_idem(struct tcmd *c, const char *key, unsigned char hash_byte, const char *req)
{
    c->cmd.idem_key = key;
    memset(c->cmd.request_hash, hash_byte, STORE_HASH_BYTES);
    c->cmd.request = slice_from(req);
}

static void submit(struct wt *t, struct tcmd *c)
{
    assert_int_equal(writer_submit(t->w, &c->cmd), 0);
}

static bool wait_done(struct wt *t, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    bool ok = true;
    pthread_mutex_lock(&t->mu);
    while (t->done_total < n && ok)
        ok = pthread_cond_timedwait(&t->cv, &t->mu, &until) != ETIMEDOUT || t->done_total >= n;
    pthread_mutex_unlock(&t->mu);
    return ok;
}

static void submit_and_wait(struct wt *t, struct tcmd *c)
{
    pthread_mutex_lock(&t->mu);
    int before = t->done_total;
    pthread_mutex_unlock(&t->mu);
    submit(t, c);
    assert_true(wait_done(t, before + 1));
}

/* Submits the gate command and returns once its apply is blocked on the gate. */
static void gate_close(struct wt *t, struct tcmd *gate)
{
    gate->mode = M_GATE;
    submit(t, gate);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    pthread_mutex_lock(&t->mu);
    while (!t->gate_entered)
        if (pthread_cond_timedwait(&t->cv, &t->mu, &until) == ETIMEDOUT)
            break;
    bool entered = t->gate_entered;
    pthread_mutex_unlock(&t->mu);
    assert_true(entered);
}

static void gate_open(struct wt *t)
{
    pthread_mutex_lock(&t->mu);
    t->gate_open = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

static int done_calls(struct wt *t, const struct tcmd *c)
{
    pthread_mutex_lock(&t->mu);
    int n = c->done_calls;
    pthread_mutex_unlock(&t->mu);
    return n;
}

static void expect_applied(struct wt *t, struct tcmd *c, int status)
{
    assert_int_equal(done_calls(t, c), 1);
    assert_int_equal(c->cmd.outcome, COMMAND_APPLIED);
    assert_int_equal(c->cmd.rc, 0);
    assert_int_equal(c->cmd.status, status);
    assert_int_equal(c->apply_calls, 1);
    char want[128];
    if (status == 409)
        snprintf(want, sizeof want, "{\"error\":\"conflict\",\"id\":\"%s\"}", c->id);
    else
        snprintf(want, sizeof want, "{\"id\":\"%s\"}", c->id);
    assert_string_equal(buf_cstr(&c->cmd.body), want);
    assert_int_equal(c->cmd.body.len, strlen(want));
    assert_int_equal(row_visible(t->s, c->cmd.project_id, c->id), status < 400 ? 1 : 0);
}

static void expect_failed(struct wt *t, const struct tcmd *c, int rc)
{
    assert_int_equal(done_calls(t, c), 1);
    assert_int_equal(c->cmd.outcome, COMMAND_FAILED);
    assert_int_equal(c->cmd.rc, rc);
    assert_int_equal(row_visible(t->s, c->cmd.project_id, c->id), 0);
}

/* ----------------------------------------------------------------- fixture */

static int setup(void **state)
{
    struct wt *t = calloc(1, sizeof *t);
    assert_non_null(t);
    snprintf(t->dir, sizeof t->dir, "/tmp/treu-writer-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->url, sizeof t->url, "sqlite:%s/w.db", t->dir);
    assert_int_equal(store_open(t->url, &t->s), 0);
    int version = 0;
    assert_int_equal(store_migrate(t->s, &version), 0);
    atomic_init(&t->fc.now, T0);
    t->clock = (struct clock){fake_now, &t->fc};
    t->seed = 42;
    t->rng = (struct rng){splitmix_fill, &t->seed};
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    assert_int_equal(writer_start(t->s, &t->clock, &t->rng, &t->w), 0);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct wt *t = *state;
    gate_open(t); /* a failed test may have left the writer waiting */
    writer_free(t->w);
    for (size_t i = 0; i < t->ncmds; i++)
        buf_cleanup(&t->cmds[i].cmd.body);
    free(t->cmds);
    store_free(t->s);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    remove_dir(t->dir);
    free(t);
    return 0;
}

/* ------------------------------------------------------------------- tests */

static void test_ack_after_commit(void **state)
{
    struct wt *t = *state;
    const int n = 40;
    struct tcmd *c = new_cmds(t, (size_t)n, M_OK, P1);
    t->check_visible = true;
    for (int i = 0; i < n; i++)
        submit(t, &c[i]);
    assert_true(wait_done(t, n));
    for (int i = 0; i < n; i++) {
        /* done saw the row from a fresh reader: acknowledged means committed. */
        assert_int_equal(c[i].visible, 1);
        expect_applied(t, &c[i], 201);
    }
    /* No second call arrives later. */
    usleep(20000);
    pthread_mutex_lock(&t->mu);
    int total = t->done_total;
    pthread_mutex_unlock(&t->mu);
    assert_int_equal(total, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(done_calls(t, &c[i]), 1);
    assert_int_equal(t->rng_mismatch, 0);
    const struct writer_stats *st = writer_stats(t->w);
    assert_int_equal(atomic_load(&st->commands), n);
    assert_int_equal(atomic_load(&st->failed_commits), 0);
    assert_int_equal(atomic_load(&st->commits), atomic_load(&st->batch_size.count));
    assert_int_equal(atomic_load(&st->batch_size.sum_micros), (uint64_t)n * 1000000);
    assert_int_equal(atomic_load(&st->queue_depth), 0);
}

struct submitter {
    struct wt *t;
    struct tcmd *cmds;
    size_t n;
    int failures;
};

static void *submitter_main(void *arg)
{
    struct submitter *s = arg;
    for (size_t i = 0; i < s->n; i++)
        if (writer_submit(s->t->w, &s->cmds[i].cmd) != 0)
            s->failures++;
    return NULL;
}

static void test_concurrent_submitters(void **state)
{
    struct wt *t = *state;
    enum { THREADS = 8, PER_THREAD = 200, TOTAL = THREADS * PER_THREAD };
    struct tcmd *c = new_cmds(t, TOTAL, M_OK, P1);
    pthread_t th[THREADS];
    struct submitter sub[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sub[i] = (struct submitter){t, c + i * PER_THREAD, PER_THREAD, 0};
        assert_int_equal(pthread_create(&th[i], NULL, submitter_main, &sub[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(sub[i].failures, 0);
    }
    assert_true(wait_done(t, TOTAL));

    for (int i = 0; i < TOTAL; i++) {
        assert_int_equal(done_calls(t, &c[i]), 1);
        assert_int_equal(c[i].cmd.outcome, COMMAND_APPLIED);
        assert_int_equal(c[i].cmd.status, 201);
        assert_int_equal(c[i].apply_calls, 1);
    }
    assert_int_equal(count_rows(t->s, P1), TOTAL);

    /* The fake clock stood still: every command still got its own, later instant. */
    assert_int_equal(t->napplied, TOTAL);
    for (size_t i = 0; i < t->napplied; i++)
        assert_int_equal(t->now_log[i], T0 + (int64_t)i);

    /* Group commit happened: fewer batches than commands, and they add up. */
    const struct writer_stats *st = writer_stats(t->w);
    uint64_t batches = atomic_load(&st->batch_size.count);
    print_message("%llu batches for %d commands\n", (unsigned long long)batches, TOTAL);
    assert_true(batches >= 1);
    assert_true(batches < TOTAL);
    assert_int_equal(atomic_load(&st->batch_size.sum_micros), (uint64_t)TOTAL * 1000000);
    /* No batch went past WRITER_BATCH_MAX (the last bound): the overflow bucket is empty. */
    assert_int_equal(st->batch_size.bounds[st->batch_size.n - 1], WRITER_BATCH_MAX);
    assert_int_equal(atomic_load(&st->batch_size.counts[st->batch_size.n]), 0);
    assert_int_equal(atomic_load(&st->commits), batches);
    assert_int_equal(atomic_load(&st->commands), TOTAL);
    assert_int_equal(atomic_load(&st->failed_commits), 0);
}

static void test_now_strictly_increasing(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 6, M_OK, P1);
    submit_and_wait(t, &c[0]);
    submit_and_wait(t, &c[1]);
    submit_and_wait(t, &c[2]);
    assert_int_equal(c[0].now_us, T0);
    assert_int_equal(c[1].now_us, T0 + 1);
    assert_int_equal(c[2].now_us, T0 + 2);
    /* The clock moves on: its value is used. */
    atomic_store(&t->fc.now, T0 + 1000);
    submit_and_wait(t, &c[3]);
    assert_int_equal(c[3].now_us, T0 + 1000);
    /* The clock goes backwards: time still moves forward. */
    atomic_store(&t->fc.now, T0 - 5000);
    submit_and_wait(t, &c[4]);
    assert_int_equal(c[4].now_us, T0 + 1001);
    /* Equal to the last instant is not enough either. */
    atomic_store(&t->fc.now, T0 + 1001);
    submit_and_wait(t, &c[5]);
    assert_int_equal(c[5].now_us, T0 + 1002);
    for (int i = 0; i < 6; i++)
        expect_applied(t, &c[i], 201);
}

static void expect_two_batches(struct wt *t, uint64_t commands)
{
    const struct writer_stats *st = writer_stats(t->w);
    assert_int_equal(atomic_load(&st->batch_size.count), 2);
    assert_int_equal(atomic_load(&st->batch_size.sum_micros), commands * 1000000);
}

static void test_409_undone_others_kept(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 4, M_OK, P1);
    gate_close(t, &c[0]);
    c[2].mode = M_409;
    submit(t, &c[1]);
    submit(t, &c[2]);
    submit(t, &c[3]);
    gate_open(t);
    assert_true(wait_done(t, 4));
    expect_two_batches(t, 4); /* [gate], [c1, c2, c3] */
    expect_applied(t, &c[0], 201);
    expect_applied(t, &c[1], 201);
    expect_applied(t, &c[2], 409); /* answered, but its insert is gone */
    expect_applied(t, &c[3], 201);
    assert_int_equal(count_rows(t->s, P1), 3);
}

static void test_elimit_fails_only_that_command(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 4, M_OK, P1);
    gate_close(t, &c[0]);
    c[2].mode = M_ELIMIT;
    submit(t, &c[1]);
    submit(t, &c[2]);
    submit(t, &c[3]);
    gate_open(t);
    assert_true(wait_done(t, 4));
    expect_two_batches(t, 4);
    expect_applied(t, &c[0], 201);
    expect_applied(t, &c[1], 201);
    expect_failed(t, &c[2], TREU_ELIMIT);
    assert_int_equal(c[2].apply_calls, 1);
    expect_applied(t, &c[3], 201);
    assert_int_equal(count_rows(t->s, P1), 3);
    assert_int_equal(atomic_load(&writer_stats(t->w)->failed_commits), 0);
}

static void test_eio_fails_whole_batch(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 5, M_OK, P1);
    gate_close(t, &c[0]);
    c[2].mode = M_EIO;
    submit(t, &c[1]);
    submit(t, &c[2]);
    submit(t, &c[3]);
    gate_open(t);
    assert_true(wait_done(t, 4));
    /* The gate's batch committed; the whole next batch did not. */
    expect_applied(t, &c[0], 201);
    expect_failed(t, &c[1], TREU_EIO);
    expect_failed(t, &c[2], TREU_EIO);
    expect_failed(t, &c[3], TREU_EIO);
    assert_int_equal(c[1].apply_calls, 1);
    assert_int_equal(c[2].apply_calls, 1);
    assert_int_equal(c[3].apply_calls, 0); /* never ran: the batch was already lost */
    assert_int_equal(count_rows(t->s, P1), 1);
    const struct writer_stats *st = writer_stats(t->w);
    assert_int_equal(atomic_load(&st->failed_commits), 1);
    assert_int_equal(atomic_load(&st->commits), 1);

    /* The writer recovers: the next command commits. */
    submit_and_wait(t, &c[4]);
    expect_applied(t, &c[4], 201);
    assert_int_equal(count_rows(t->s, P1), 2);
}

static void test_idem_replay(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 3, M_OK, P1);
    static const char req[] = "{\"name\":\"Ann\"}";
    set_idem(&c[0], "key-1", 0x11, req);
    set_idem(&c[1], "key-1", 0x11, req);
    submit_and_wait(t, &c[0]);
    expect_applied(t, &c[0], 201);
    submit_and_wait(t, &c[1]);
    assert_int_equal(done_calls(t, &c[1]), 1);
    assert_int_equal(c[1].cmd.outcome, COMMAND_REPLAYED);
    assert_int_equal(c[1].cmd.rc, 0);
    assert_int_equal(c[1].apply_calls, 0);
    assert_int_equal(c[1].cmd.status, 201);
    assert_int_equal(c[1].cmd.body.len, c[0].cmd.body.len);
    assert_memory_equal(c[1].cmd.body.ptr, c[0].cmd.body.ptr, c[0].cmd.body.len);
    assert_int_equal(row_visible(t->s, P1, c[1].id), 0);

    /* Keys belong to a project: the same key elsewhere is a new request. */
    c[2].cmd.project_id = P2;
    set_idem(&c[2], "key-1", 0x11, req);
    submit_and_wait(t, &c[2]);
    expect_applied(t, &c[2], 201);
}

static void test_idem_conflict(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 5, M_OK, P1);
    set_idem(&c[0], "key-c", 0x01, "{\"name\":\"Ann\",\"email\":\"a@b.co\"}");
    set_idem(&c[1], "key-c", 0x02, "{\"name\":\"Bob\",\"email\":\"a@b.co\"}");
    set_idem(&c[2], "key-c", 0x03, "{\"name\":\"Ann\",\"email\":\"a@b.co\",\"phone\":\"123\"}");
    set_idem(&c[3], "key-c", 0x04, "not json");
    set_idem(&c[4], "key-c", 0x05, "{\"email\":\"a@b.co\",\"name\":\"Ann\"}");
    submit_and_wait(t, &c[0]);
    expect_applied(t, &c[0], 201);
    static const char *const field[] = {NULL, "name", "phone", "body", "body"};
    for (int i = 1; i < 5; i++) {
        submit_and_wait(t, &c[i]);
        assert_int_equal(done_calls(t, &c[i]), 1);
        assert_int_equal(c[i].cmd.outcome, COMMAND_IDEM_CONFLICT);
        assert_int_equal(c[i].cmd.rc, 0);
        assert_int_equal(c[i].apply_calls, 0);
        assert_string_equal(c[i].cmd.conflict_field, field[i]);
        assert_int_equal(row_visible(t->s, P1, c[i].id), 0);
    }
    assert_int_equal(count_rows(t->s, P1), 1);
}

static void test_idem_4xx_stored_and_replayed(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 2, M_OK, P1);
    c[0].mode = M_409;
    set_idem(&c[0], "key-4xx", 0x44, "{\"name\":\"Ann\"}");
    set_idem(&c[1], "key-4xx", 0x44, "{\"name\":\"Ann\"}");
    submit_and_wait(t, &c[0]);
    expect_applied(t, &c[0], 409);
    submit_and_wait(t, &c[1]);
    assert_int_equal(c[1].cmd.outcome, COMMAND_REPLAYED);
    assert_int_equal(c[1].apply_calls, 0);
    assert_int_equal(c[1].cmd.status, 409);
    assert_int_equal(c[1].cmd.body.len, c[0].cmd.body.len);
    assert_memory_equal(c[1].cmd.body.ptr, c[0].cmd.body.ptr, c[0].cmd.body.len);
    assert_int_equal(count_rows(t->s, P1), 0);
}

static void test_idem_same_batch(void **state)
{
    struct wt *t = *state;
    struct tcmd *c = new_cmds(t, 3, M_OK, P1);
    gate_close(t, &c[0]);
    set_idem(&c[1], "key-b", 0x55, "{}");
    set_idem(&c[2], "key-b", 0x55, "{}");
    submit(t, &c[1]);
    submit(t, &c[2]);
    gate_open(t);
    assert_true(wait_done(t, 3));
    expect_two_batches(t, 3);
    expect_applied(t, &c[1], 201);
    assert_int_equal(c[2].cmd.outcome, COMMAND_REPLAYED);
    assert_int_equal(c[2].apply_calls, 0);
    assert_int_equal(c[2].cmd.status, 201);
    assert_string_equal(buf_cstr(&c[2].cmd.body), buf_cstr(&c[1].cmd.body));
    assert_int_equal(row_visible(t->s, P1, c[2].id), 0);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* the EIO batch logs one expected error line */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ack_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_submitters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_now_strictly_increasing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_409_undone_others_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elimit_fails_only_that_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eio_fails_whole_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_4xx_stored_and_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idem_same_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

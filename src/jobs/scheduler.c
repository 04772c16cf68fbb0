/* scheduler.c - a round is: list due members on a read connection, submit one settle
 * command each, wait for all of them. The writer batches them into few commits. */
#include "jobs/scheduler.h"

#include "core/log.h"
#include "engine/loyalty.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

struct scheduler {
    struct store_pool *readers;
    struct writer *writer;
    struct zones *zones;
    const struct clock *clock;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;         /* guarded by mu */
    bool poked;            /* guarded by mu */
    size_t pending;        /* commands of this round not yet done; guarded by mu */
    int64_t next_purge_at; /* scheduler thread only */
};

struct settle_cmd {
    struct command cmd;
    struct scheduler *s;
    struct due_member due;
};

static int settle_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct settle_cmd *sc = (struct settle_cmd *)cmd;
    struct arena a;
    arena_init(&a, 4u * 1024 * 1024);
    struct loyalty_ctx lc = {.tx = tx, .zones = sc->s->zones, .pid = sc->due.project_id, .a = &a};
    struct member_state ms;
    int rc = loyalty_load(&lc, sc->due.member_id, &ms);
    arena_cleanup(&a);
    cmd->status = rc == TREU_ENOTFOUND ? 404 : 200;
    return rc == TREU_ENOTFOUND ? 0 : rc;
}

static void settle_done(struct command *cmd)
{
    struct settle_cmd *sc = (struct settle_cmd *)cmd;
    struct scheduler *s = sc->s;
    if (cmd->outcome == COMMAND_FAILED)
        log_warn("settle failed", "project=%s member=%s err=\"%s\"", sc->due.project_id,
                 sc->due.member_id, treu_strerror(cmd->rc));
    pthread_mutex_lock(&s->mu);
    s->pending--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Purging stored idempotent answers past their retention: one command per round. */
struct purge_cmd {
    struct command cmd;
    struct scheduler *s;
    int64_t deleted;
};

static int purge_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct purge_cmd *pc = (struct purge_cmd *)cmd;
    cmd->status = 200;
    return store_idem_purge(tx->conn, tx->now_us - SCHEDULER_IDEM_RETENTION_US,
                            SCHEDULER_IDEM_PURGE_MAX, &pc->deleted);
}

static void purge_done(struct command *cmd)
{
    struct purge_cmd *pc = (struct purge_cmd *)cmd;
    struct scheduler *s = pc->s;
    if (cmd->outcome == COMMAND_FAILED)
        log_warn("idempotency purge failed", "err=\"%s\"", treu_strerror(cmd->rc));
    pthread_mutex_lock(&s->mu);
    s->pending--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Deletes stored answers older than their retention; how many (at most the round's max). */
static int64_t purge_idempotency(struct scheduler *s)
{
    struct purge_cmd pc = {.s = s};
    buf_init(&pc.cmd.body, 1024);
    pc.cmd.project_id = "";
    pc.cmd.apply = purge_apply;
    pc.cmd.done = purge_done;
    pthread_mutex_lock(&s->mu);
    s->pending++;
    pthread_mutex_unlock(&s->mu);
    int rc = writer_submit(s->writer, &pc.cmd);
    pthread_mutex_lock(&s->mu);
    if (rc < 0)
        s->pending--;
    while (s->pending > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    buf_cleanup(&pc.cmd.body);
    return rc < 0 || pc.cmd.outcome == COMMAND_FAILED ? 0 : pc.deleted;
}

int scheduler_run_once(struct scheduler *s)
{
    struct arena a;
    arena_init(&a, 4u * 1024 * 1024);
    struct due_member *due = NULL;
    size_t n = 0;
    struct store_conn *c = store_pool_acquire(s->readers);
    int rc = store_member_list_due(c, clock_now_us(s->clock), SCHEDULER_BATCH_MAX, &a, &due, &n);
    store_pool_release(s->readers, c);
    struct settle_cmd *cmds = rc == 0 && n ? arena_zalloc(&a, n * sizeof *cmds) : NULL;
    if (rc == 0 && n && !cmds)
        rc = TREU_ENOMEM;
    size_t submitted = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct settle_cmd *sc = &cmds[i];
        sc->s = s;
        sc->due = due[i];
        buf_init(&sc->cmd.body, 64 * 1024);
        sc->cmd.project_id = sc->due.project_id;
        sc->cmd.apply = settle_apply;
        sc->cmd.done = settle_done;
        pthread_mutex_lock(&s->mu);
        s->pending++;
        pthread_mutex_unlock(&s->mu);
        int src = writer_submit(s->writer, &sc->cmd);
        if (src < 0) {
            pthread_mutex_lock(&s->mu);
            s->pending--;
            pthread_mutex_unlock(&s->mu);
            rc = src;
            break;
        }
        submitted++;
    }
    pthread_mutex_lock(&s->mu);
    while (s->pending > 0)
        pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; cmds && i < n; i++)
        buf_cleanup(&cmds[i].cmd.body);
    arena_cleanup(&a);
    /* Once a minute, or again at once after a full purge (more may be waiting). */
    int64_t now = clock_now_us(s->clock);
    if (rc == 0 && now >= s->next_purge_at) {
        bool full = purge_idempotency(s) >= SCHEDULER_IDEM_PURGE_MAX;
        s->next_purge_at = full ? now : now + SCHEDULER_PURGE_EVERY_US;
        if (full)
            submitted = SCHEDULER_BATCH_MAX; /* a busy round: no sleep before the next */
    }
    return rc < 0 ? rc : (int)submitted;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    for (;;) {
        int n = scheduler_run_once(s);
        pthread_mutex_lock(&s->mu);
        if (n < SCHEDULER_BATCH_MAX && !s->stopping && !s->poked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += (SCHEDULER_TICK_US % 1000000) * 1000;
            until.tv_sec += SCHEDULER_TICK_US / 1000000 + until.tv_nsec / 1000000000;
            until.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
        }
        s->poked = false;
        bool stop = s->stopping;
        pthread_mutex_unlock(&s->mu);
        if (stop)
            break;
    }
    return NULL;
}

int scheduler_start(struct store_pool *readers, struct writer *w, struct zones *zs,
                    const struct clock *clock, struct scheduler **out)
{
    *out = NULL;
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s)
        return TREU_ENOMEM;
    s->readers = readers;
    s->writer = w;
    s->zones = zs;
    s->clock = clock;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return TREU_ENOMEM;
    }
    *out = s;
    return 0;
}

void scheduler_poke(struct scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    s->poked = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void scheduler_free(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

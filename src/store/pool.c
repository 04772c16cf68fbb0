/* pool.c - a stack of idle connections under one mutex. */
#include "store/pool.h"

#include <pthread.h>

struct store_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    int idle; /* idle connections are conns[0..idle) */
    struct store_conn *conns[POOL_CONNS_MAX];
};

int store_pool_new(struct store *s, int n, struct store_pool **out)
{
    *out = NULL;
    if (n < 1 || n > POOL_CONNS_MAX)
        return TREU_EINVAL;
    struct store_pool *p = calloc(1, sizeof *p);
    if (!p)
        return TREU_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < n; i++) {
        int rc = store_conn_open(s, false, &p->conns[i]);
        if (rc < 0) {
            p->n = p->idle = i;
            store_pool_free(p);
            return rc;
        }
    }
    p->n = p->idle = n;
    *out = p;
    return 0;
}

void store_pool_free(struct store_pool *p)
{
    if (!p)
        return;
    ASSERT(p->idle == p->n);
    for (int i = 0; i < p->n; i++)
        store_conn_free(p->conns[i]);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

struct store_conn *store_pool_acquire(struct store_pool *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->idle == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    struct store_conn *c = p->conns[--p->idle];
    pthread_mutex_unlock(&p->mu);
    return c;
}

void store_pool_release(struct store_pool *p, struct store_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&p->mu);
    ASSERT(p->idle < p->n);
    p->conns[p->idle++] = c;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

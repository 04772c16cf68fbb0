/* store_test.c - the SQLite backend, driven only through store.h.
 * Each test gets a fresh, migrated database file in its own temporary directory, a
 * write connection and two projects. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/log.h"
#include "store/store.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define P1 "proj_one"
#define P2 "proj_two"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
    struct store_conn *w; /* write connection */
    struct arena a;
};

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

static void insert_project(struct store_conn *c, const char *id, const char *name, int64_t at)
{
    struct project p = {.name = name, .created_at = at};
    snprintf(p.id, sizeof p.id, "%s", id);
    assert_int_equal(store_project_insert(c, &p), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/treu-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "sqlite:%s/t.db", f->dir);
    assert_int_equal(store_open(f->path, &f->s), 0);
    int version = 0;
    assert_int_equal(store_migrate(f->s, &version), 0);
    assert_true(version > 0);
    assert_int_equal(store_conn_open(f->s, true, &f->w), 0);
    insert_project(f->w, P1, "One", 1000);
    insert_project(f->w, P2, "Two", 2000);
    arena_init(&f->a, 1024 * 1024);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    arena_cleanup(&f->a);
    store_conn_free(f->w);
    store_free(f->s);
    remove_dir(f->dir);
    free(f);
    return 0;
}

/* A customer with every field set from `id`; created_at = updated_at = `at`. */
static struct customer make_customer(const char *id, const char *source, int64_t at)
{
    struct customer c = {
        .source_id = source,
        .name = "Ada Lovelace",
        .description = "first programmer",
        .email = "ada@example.com",
        .phone = "+44 20 7946 0000",
        .birthdate = "1815-12-10",
        .timezone = "Europe/London",
        .address_json = "{\"city\":\"London\"}",
        .metadata_json = "{\"tier\":\"gold\"}",
        .consents_json = "{\"email\":true}",
        .created_at = at,
        .updated_at = at,
    };
    snprintf(c.id, sizeof c.id, "%s", id);
    return c;
}

static void assert_opt_str_equal(const char *got, const char *want)
{
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void assert_customer_equal(const struct customer *got, const struct customer *want)
{
    assert_string_equal(got->id, want->id);
    assert_opt_str_equal(got->source_id, want->source_id);
    assert_opt_str_equal(got->name, want->name);
    assert_opt_str_equal(got->description, want->description);
    assert_opt_str_equal(got->email, want->email);
    assert_opt_str_equal(got->phone, want->phone);
    assert_opt_str_equal(got->birthdate, want->birthdate);
    assert_opt_str_equal(got->timezone, want->timezone);
    assert_opt_str_equal(got->address_json, want->address_json);
    assert_opt_str_equal(got->metadata_json, want->metadata_json);
    assert_opt_str_equal(got->consents_json, want->consents_json);
    assert_int_equal(got->created_at, want->created_at);
    assert_int_equal(got->updated_at, want->updated_at);
}

static void insert_customer(struct fixture *f, const char *pid, const char *id, const char *source,
                            int64_t at)
{
    struct customer c = make_customer(id, source, at);
    assert_int_equal(store_customer_insert(f->w, pid, &c), 0);
}

static bool customer_exists(struct store_conn *c, const char *pid, const char *id, struct arena *a)
{
    struct customer out;
    int rc = store_customer_get(c, pid, id, a, &out);
    assert_true(rc == 0 || rc == TREU_ENOTFOUND);
    return rc == 0;
}

/* ------------------------------------------------------------------ tests */

static void test_migrate_twice(void **state)
{
    struct fixture *f = *state;
    struct customer c = make_customer("cust_keep", NULL, 5);
    assert_int_equal(store_customer_insert(f->w, P1, &c), 0);
    int v1 = 0, v2 = -1;
    assert_int_equal(store_migrate(f->s, &v1), 0);
    assert_int_equal(store_migrate(f->s, &v2), 0);
    assert_true(v1 > 0);
    assert_int_equal(v2, v1);
    /* Data survives: nothing was recreated. */
    assert_true(customer_exists(f->w, P1, "cust_keep", &f->a));
    struct project p;
    assert_int_equal(store_project_get(f->w, P1, &f->a, &p), 0);
}

static void test_open_bad_url(void **state)
{
    (void)state;
    struct store *s = (struct store *)1;
    assert_int_equal(store_open("postgres://x", &s), TREU_EINVAL);
    assert_null(s);
    s = (struct store *)1;
    assert_int_equal(store_open("sqlite:", &s), TREU_EINVAL);
    assert_null(s);
    store_free(NULL);
    store_conn_free(NULL);
}

static void test_project_insert_get(void **state)
{
    struct fixture *f = *state;
    struct project p;
    memset(&p, 0, sizeof p);
    assert_int_equal(store_begin(f->w), 0);
    insert_project(f->w, "proj_three", "Three \xE2\x82\xAC", 123456789);
    assert_int_equal(store_commit(f->w), 0);
    assert_int_equal(store_project_get(f->w, "proj_three", &f->a, &p), 0);
    assert_string_equal(p.id, "proj_three");
    assert_string_equal(p.name, "Three \xE2\x82\xAC");
    assert_int_equal(p.created_at, 123456789);
    assert_int_equal(store_project_get(f->w, P1, &f->a, &p), 0);
    assert_string_equal(p.name, "One");
    assert_int_equal(p.created_at, 1000);
    assert_int_equal(store_project_get(f->w, "proj_none", &f->a, &p), TREU_ENOTFOUND);
    struct project dup = {.name = "again", .created_at = 1};
    snprintf(dup.id, sizeof dup.id, "%s", P1);
    assert_int_equal(store_project_insert(f->w, &dup), TREU_ECONFLICT);
}

static struct api_key make_key(const char *app_id, const char *pid, enum key_kind kind,
                               const char *name, int64_t at)
{
    struct api_key k = {.kind = kind, .name = name, .created_at = at};
    snprintf(k.app_id, sizeof k.app_id, "%s", app_id);
    snprintf(k.project_id, sizeof k.project_id, "%s", pid);
    for (int i = 0; i < STORE_HASH_BYTES; i++)
        k.token_hash[i] = (unsigned char)(at + i);
    return k;
}

static void test_keys(void **state)
{
    struct fixture *f = *state;
    struct api_key k1 = make_key("app_1", P1, KEY_SERVER, "backend", 100);
    struct api_key k2 = make_key("app_2", P1, KEY_CLIENT, NULL, 300);
    struct api_key k3 = make_key("app_3", P2, KEY_SERVER, "other", 200);
    assert_int_equal(store_begin(f->w), 0);
    assert_int_equal(store_key_insert(f->w, &k1), 0);
    assert_int_equal(store_key_insert(f->w, &k2), 0);
    assert_int_equal(store_key_insert(f->w, &k3), 0);
    assert_int_equal(store_commit(f->w), 0);
    assert_int_equal(store_key_insert(f->w, &k1), TREU_ECONFLICT);

    struct api_key got;
    assert_int_equal(store_key_get(f->w, "app_2", &f->a, &got), 0);
    assert_string_equal(got.app_id, "app_2");
    assert_string_equal(got.project_id, P1);
    assert_int_equal(got.kind, KEY_CLIENT);
    assert_memory_equal(got.token_hash, k2.token_hash, STORE_HASH_BYTES);
    assert_null(got.name);
    assert_int_equal(got.created_at, 300);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(store_key_get(f->w, "app_1", &f->a, &got), 0);
    assert_int_equal(got.kind, KEY_SERVER);
    assert_string_equal(got.name, "backend");
    assert_int_equal(store_key_get(f->w, "app_none", &f->a, &got), TREU_ENOTFOUND);

    /* All keys, oldest first. */
    struct api_key *list = NULL;
    size_t n = 99;
    assert_int_equal(store_key_list(f->w, NULL, &f->a, &list, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].app_id, "app_1");
    assert_string_equal(list[1].app_id, "app_3");
    assert_string_equal(list[2].app_id, "app_2");
    assert_memory_equal(list[1].token_hash, k3.token_hash, STORE_HASH_BYTES);
    /* Per project. */
    assert_int_equal(store_key_list(f->w, P1, &f->a, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].app_id, "app_1");
    assert_string_equal(list[1].app_id, "app_2");
    assert_int_equal(store_key_list(f->w, P2, &f->a, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].app_id, "app_3");
    assert_int_equal(store_key_list(f->w, "proj_none", &f->a, &list, &n), 0);
    assert_int_equal(n, 0);

    /* Revoke: once, then not again. Revoked keys are still returned. */
    assert_int_equal(store_key_revoke(f->w, "app_1", 5000), 0);
    assert_int_equal(store_key_revoke(f->w, "app_1", 6000), TREU_ENOTFOUND);
    assert_int_equal(store_key_revoke(f->w, "app_none", 6000), TREU_ENOTFOUND);
    assert_int_equal(store_key_get(f->w, "app_1", &f->a, &got), 0);
    assert_int_equal(got.revoked_at, 5000);
    assert_int_equal(store_key_get(f->w, "app_2", &f->a, &got), 0);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(store_key_list(f->w, P1, &f->a, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].revoked_at, 5000);

    /* By the token's hash (write keys), revoked or not; a hash is one key's only. */
    assert_int_equal(store_key_get_by_hash(f->w, k2.token_hash, &f->a, &got), 0);
    assert_string_equal(got.app_id, "app_2");
    assert_string_equal(got.project_id, P1);
    assert_int_equal(store_key_get_by_hash(f->w, k1.token_hash, &f->a, &got), 0);
    assert_string_equal(got.app_id, "app_1");
    assert_int_equal(got.revoked_at, 5000);
    struct api_key none = make_key("app_9", P2, KEY_CLIENT, NULL, 7);
    assert_int_equal(store_key_get_by_hash(f->w, none.token_hash, &f->a, &got), TREU_ENOTFOUND);
    struct api_key twin = make_key("app_4", P2, KEY_CLIENT, NULL, 300);
    assert_int_equal(store_key_insert(f->w, &twin), TREU_ECONFLICT);
}

static void test_key_list_many(void **state)
{
    struct fixture *f = *state;
    /* More keys than the first allocation of the list holds, inserted newest first. */
    enum { KEYS = 70 };
    assert_int_equal(store_begin(f->w), 0);
    for (int i = KEYS - 1; i >= 0; i--) {
        char app[16], name[16];
        snprintf(app, sizeof app, "app_%02d", i);
        snprintf(name, sizeof name, "key %d", i);
        struct api_key k = make_key(app, i % 2 ? P2 : P1, KEY_SERVER, name, 1000 + i);
        assert_int_equal(store_key_insert(f->w, &k), 0);
    }
    assert_int_equal(store_commit(f->w), 0);
    struct api_key *list = NULL;
    size_t n = 0;
    assert_int_equal(store_key_list(f->w, NULL, &f->a, &list, &n), 0);
    assert_int_equal(n, KEYS);
    for (int i = 0; i < KEYS; i++) {
        char app[16], name[16];
        snprintf(app, sizeof app, "app_%02d", i);
        snprintf(name, sizeof name, "key %d", i);
        assert_string_equal(list[i].app_id, app);
        assert_string_equal(list[i].name, name);
        assert_string_equal(list[i].project_id, i % 2 ? P2 : P1);
        assert_int_equal(list[i].created_at, 1000 + i);
        assert_int_equal(list[i].token_hash[0], (unsigned char)(1000 + i));
    }
    assert_int_equal(store_key_list(f->w, P2, &f->a, &list, &n), 0);
    assert_int_equal(n, KEYS / 2);
    assert_string_equal(list[0].app_id, "app_01");
    assert_string_equal(list[KEYS / 2 - 1].app_id, "app_69");
}

static void test_customer_crud(void **state)
{
    struct fixture *f = *state;
    struct customer c = make_customer("cust_1", "src-1", 1000);
    assert_int_equal(store_begin(f->w), 0);
    assert_int_equal(store_customer_insert(f->w, P1, &c), 0);
    assert_int_equal(store_commit(f->w), 0);

    struct customer got;
    assert_int_equal(store_customer_get(f->w, P1, "cust_1", &f->a, &got), 0);
    assert_customer_equal(&got, &c);
    memset(&got, 0, sizeof got);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "src-1", &f->a, &got), 0);
    assert_customer_equal(&got, &c);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "src-x", &f->a, &got), TREU_ENOTFOUND);

    /* Update replaces every field but id and created_at; NULL clears. */
    struct customer u = {
        .source_id = "src-2",
        .name = "Ada King",
        .email = "ada@king.org",
        .metadata_json = "{}",
        .created_at = 999999, /* must be ignored */
        .updated_at = 2000,
    };
    snprintf(u.id, sizeof u.id, "cust_1");
    assert_int_equal(store_customer_update(f->w, P1, &u), 0);
    assert_int_equal(store_customer_get(f->w, P1, "cust_1", &f->a, &got), 0);
    struct customer want = u;
    want.created_at = 1000;
    assert_customer_equal(&got, &want);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "src-1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "src-2", &f->a, &got), 0);
    assert_string_equal(got.id, "cust_1");

    struct customer missing = make_customer("cust_none", NULL, 1);
    assert_int_equal(store_customer_update(f->w, P1, &missing), TREU_ENOTFOUND);

    /* Delete, then it is gone. */
    assert_int_equal(store_customer_delete(f->w, P1, "cust_1"), 0);
    assert_int_equal(store_customer_get(f->w, P1, "cust_1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "src-2", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_customer_delete(f->w, P1, "cust_1"), TREU_ENOTFOUND);
    assert_int_equal(store_customer_update(f->w, P1, &u), TREU_ENOTFOUND);
}

static void test_customer_conflicts(void **state)
{
    struct fixture *f = *state;
    insert_customer(f, P1, "cust_a", "shared", 1);
    /* Same source_id, same project → conflict; nothing inserted. */
    struct customer b = make_customer("cust_b", "shared", 2);
    assert_int_equal(store_customer_insert(f->w, P1, &b), TREU_ECONFLICT);
    assert_false(customer_exists(f->w, P1, "cust_b", &f->a));
    /* Same source_id in another project is fine. */
    assert_int_equal(store_customer_insert(f->w, P2, &b), 0);
    /* Customers without source_id never collide. */
    insert_customer(f, P1, "cust_n1", NULL, 3);
    insert_customer(f, P1, "cust_n2", NULL, 4);
    /* Same id in one project collides; in another it does not. */
    struct customer again = make_customer("cust_a", "other", 5);
    assert_int_equal(store_customer_insert(f->w, P1, &again), TREU_ECONFLICT);
    assert_int_equal(store_customer_insert(f->w, P2, &again), 0);
    /* Updating onto a taken source_id conflicts and changes nothing. */
    struct customer n1 = make_customer("cust_n1", "shared", 3);
    assert_int_equal(store_customer_update(f->w, P1, &n1), TREU_ECONFLICT);
    struct customer got;
    assert_int_equal(store_customer_get(f->w, P1, "cust_n1", &f->a, &got), 0);
    assert_null(got.source_id);
    assert_int_equal(store_customer_get_by_source(f->w, P1, "shared", &f->a, &got), 0);
    assert_string_equal(got.id, "cust_a");
    assert_int_equal(store_customer_get_by_source(f->w, P2, "shared", &f->a, &got), 0);
    assert_string_equal(got.id, "cust_b");
}

static void test_tenant_isolation(void **state)
{
    struct fixture *f = *state;
    insert_customer(f, P1, "cust_p1", "src-p1", 100);
    struct customer got;
    assert_int_equal(store_customer_get(f->w, P2, "cust_p1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_customer_get_by_source(f->w, P2, "src-p1", &f->a, &got), TREU_ENOTFOUND);
    struct customer u = make_customer("cust_p1", "hijacked", 100);
    u.name = "Mallory";
    assert_int_equal(store_customer_update(f->w, P2, &u), TREU_ENOTFOUND);
    assert_int_equal(store_customer_delete(f->w, P2, "cust_p1"), TREU_ENOTFOUND);

    struct customer_query q = {.limit = 10};
    struct customer *rows = NULL;
    size_t n = 99;
    int64_t total = 99;
    bool more = true;
    assert_int_equal(store_customer_list(f->w, P2, &q, &f->a, &rows, &n, &total, &more), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    assert_false(more);
    /* A cursor from the other project is unknown here. */
    q.starting_after = "cust_p1";
    assert_int_equal(store_customer_list(f->w, P2, &q, &f->a, &rows, &n, &total, &more),
                     TREU_ENOTFOUND);

    /* The row in P1 is untouched. */
    assert_int_equal(store_customer_get(f->w, P1, "cust_p1", &f->a, &got), 0);
    struct customer want = make_customer("cust_p1", "src-p1", 100);
    assert_customer_equal(&got, &want);
}

/* Seven customers in P1 created at 1000..7000, c1..c7; odd ones share an email. One in P2. */
static void insert_seven(struct fixture *f)
{
    assert_int_equal(store_begin(f->w), 0);
    for (int i = 1; i <= 7; i++) {
        char id[16];
        snprintf(id, sizeof id, "c%d", i);
        struct customer c = make_customer(id, NULL, 1000 * i);
        c.email = i % 2 ? "odd@example.com" : "even@example.com";
        assert_int_equal(store_customer_insert(f->w, P1, &c), 0);
    }
    struct customer other = make_customer("p2_only", NULL, 3500);
    other.email = "odd@example.com";
    assert_int_equal(store_customer_insert(f->w, P2, &other), 0);
    assert_int_equal(store_commit(f->w), 0);
}

/* Runs a list query on P1 and checks the ids in order, total and has_more. */
static void expect_list(struct fixture *f, const struct customer_query *q, const char *want,
                        int64_t want_total, bool want_more)
{
    struct customer *rows = NULL;
    size_t n = 99;
    int64_t total = -1;
    bool more = !want_more;
    assert_int_equal(store_customer_list(f->w, P1, q, &f->a, &rows, &n, &total, &more), 0);
    char got[256] = "";
    size_t off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(got + off, sizeof got - off, "%s%s", i ? "," : "", rows[i].id);
    assert_string_equal(got, want);
    assert_int_equal(total, want_total);
    assert_int_equal(more, want_more);
}

static void test_list_order_paging(void **state)
{
    struct fixture *f = *state;
    insert_seven(f);
    struct customer_query q = {.limit = 3};
    expect_list(f, &q, "c7,c6,c5", 7, true);
    q.ascending = true;
    expect_list(f, &q, "c1,c2,c3", 7, true);
    q.offset = 3;
    expect_list(f, &q, "c4,c5,c6", 7, true);
    q.offset = 4;
    expect_list(f, &q, "c5,c6,c7", 7, false);
    q.offset = 6;
    expect_list(f, &q, "c7", 7, false);
    q.offset = 7;
    expect_list(f, &q, "", 7, false);
    q.offset = 0;
    q.limit = 7;
    expect_list(f, &q, "c1,c2,c3,c4,c5,c6,c7", 7, false);
    q.limit = 6;
    expect_list(f, &q, "c1,c2,c3,c4,c5,c6", 7, true);
    q.ascending = false;
    q.offset = 2;
    q.limit = 2;
    expect_list(f, &q, "c5,c4", 7, true);
    q.limit = 1;
    q.offset = 0;
    expect_list(f, &q, "c7", 7, true);

    /* Rows carry every field. */
    struct customer *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    bool more = false;
    assert_int_equal(store_customer_list(f->w, P1, &q, &f->a, &rows, &n, &total, &more), 0);
    assert_int_equal(n, 1);
    struct customer want = make_customer("c7", NULL, 7000);
    want.email = "odd@example.com";
    assert_customer_equal(&rows[0], &want);
}

static void test_list_filters(void **state)
{
    struct fixture *f = *state;
    insert_seven(f);
    struct customer_query q = {.limit = 10, .ascending = true, .email = "odd@example.com"};
    expect_list(f, &q, "c1,c3,c5,c7", 4, false);
    q.limit = 2;
    expect_list(f, &q, "c1,c3", 4, true);
    q.email = "nobody@example.com";
    expect_list(f, &q, "", 0, false);

    /* created_after / created_before are exclusive. */
    q = (struct customer_query){.limit = 10, .ascending = true};
    q.created_after = 2000;
    q.created_before = 5000;
    expect_list(f, &q, "c3,c4", 2, false);
    q.created_before = 0;
    expect_list(f, &q, "c3,c4,c5,c6,c7", 5, false);
    q.created_after = 0;
    q.created_before = 1000;
    expect_list(f, &q, "", 0, false);
    q.created_before = 1001;
    expect_list(f, &q, "c1", 1, false);
    /* Both filters together. */
    q = (struct customer_query){.limit = 10, .email = "even@example.com", .created_after = 2000};
    expect_list(f, &q, "c6,c4", 2, false);
}

static void test_list_cursor(void **state)
{
    struct fixture *f = *state;
    insert_seven(f);
    struct customer_query q = {.limit = 2, .ascending = true, .starting_after = "c3"};
    expect_list(f, &q, "c4,c5", 7, true); /* total ignores the cursor */
    q.starting_after = "c5";
    expect_list(f, &q, "c6,c7", 7, false);
    q.starting_after = "c7";
    expect_list(f, &q, "", 7, false);
    /* offset is ignored with a cursor */
    q.starting_after = "c3";
    q.offset = 3;
    expect_list(f, &q, "c4,c5", 7, true);
    q.offset = 0;
    q.ascending = false;
    expect_list(f, &q, "c2,c1", 7, false);
    q.limit = 1;
    expect_list(f, &q, "c2", 7, true);
    /* cursor plus filter */
    q = (struct customer_query){.limit = 10, .starting_after = "c6", .email = "odd@example.com"};
    expect_list(f, &q, "c5,c3,c1", 4, false);

    /* Unknown cursors. */
    struct customer *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    bool more = false;
    q.starting_after = "c_none";
    assert_int_equal(store_customer_list(f->w, P1, &q, &f->a, &rows, &n, &total, &more),
                     TREU_ENOTFOUND);
    q.starting_after = "p2_only";
    assert_int_equal(store_customer_list(f->w, P1, &q, &f->a, &rows, &n, &total, &more),
                     TREU_ENOTFOUND);
}

static void test_list_ties(void **state)
{
    struct fixture *f = *state;
    /* Same created_at: order falls back to the id, and the cursor honours it. */
    insert_customer(f, P1, "t_b", NULL, 500);
    insert_customer(f, P1, "t_a", NULL, 500);
    insert_customer(f, P1, "t_c", NULL, 500);
    insert_customer(f, P1, "t_0", NULL, 400);
    struct customer_query q = {.limit = 10, .ascending = true};
    expect_list(f, &q, "t_0,t_a,t_b,t_c", 4, false);
    q.ascending = false;
    expect_list(f, &q, "t_c,t_b,t_a,t_0", 4, false);
    q.starting_after = "t_b";
    expect_list(f, &q, "t_a,t_0", 4, false);
    q.ascending = true;
    expect_list(f, &q, "t_c", 4, false);
    q.starting_after = "t_a";
    q.limit = 1;
    expect_list(f, &q, "t_b", 4, true);
}

static void test_idempotency(void **state)
{
    struct fixture *f = *state;
    static const char response[] = "{\"id\":\"c1\"}\0tail"; /* binary-safe */
    struct idem_record r = {
        .request = "{\"name\":\"x\"}",
        .request_len = 12,
        .status = 201,
        .response = response,
        .response_len = sizeof response - 1,
        .created_at = 424242,
    };
    for (int i = 0; i < STORE_HASH_BYTES; i++)
        r.request_hash[i] = (unsigned char)(0xA0 ^ i);
    assert_int_equal(store_idem_put(f->w, P1, "key-1", &r), 0);

    struct idem_record got;
    memset(&got, 0, sizeof got);
    assert_int_equal(store_idem_get(f->w, P1, "key-1", &f->a, &got), 0);
    assert_memory_equal(got.request_hash, r.request_hash, STORE_HASH_BYTES);
    assert_int_equal(got.request_len, 12);
    assert_memory_equal(got.request, "{\"name\":\"x\"}", 12);
    assert_int_equal(got.status, 201);
    assert_int_equal(got.response_len, sizeof response - 1);
    assert_memory_equal(got.response, response, sizeof response - 1);
    assert_int_equal(got.created_at, 424242);

    /* Keys are per project; a reused key conflicts. */
    assert_int_equal(store_idem_get(f->w, P2, "key-1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_idem_get(f->w, P1, "key-2", &f->a, &got), TREU_ENOTFOUND);
    struct idem_record r2 = r;
    r2.status = 500;
    assert_int_equal(store_idem_put(f->w, P1, "key-1", &r2), TREU_ECONFLICT);
    assert_int_equal(store_idem_get(f->w, P1, "key-1", &f->a, &got), 0);
    assert_int_equal(got.status, 201);
    assert_int_equal(store_idem_put(f->w, P2, "key-1", &r2), 0);
    assert_int_equal(store_idem_get(f->w, P2, "key-1", &f->a, &got), 0);
    assert_int_equal(got.status, 500);

    /* Empty request and response. */
    struct idem_record e = {.status = 204, .created_at = 1};
    assert_int_equal(store_idem_put(f->w, P1, "key-empty", &e), 0);
    assert_int_equal(store_idem_get(f->w, P1, "key-empty", &f->a, &got), 0);
    assert_int_equal(got.request_len, 0);
    assert_non_null(got.request);
    assert_int_equal(got.response_len, 0);
    assert_non_null(got.response);
    assert_int_equal(got.status, 204);
}

static void test_redemptions(void **state)
{
    struct fixture *f = *state;
    struct redemption r = {.id = "r_1",
                           .kind = "voucher",
                           .status = "SUCCEEDED",
                           .customer_id = "cust_a",
                           .voucher_id = "v_1",
                           .campaign_id = "camp_1",
                           .amount = 1500,
                           .body_json = "{\"id\":\"r_1\"}",
                           .created_at = 100};
    assert_int_equal(store_redemption_insert(f->w, P1, &r), 0);
    struct redemption r2 = r;
    snprintf(r2.id, sizeof r2.id, "r_2");
    r2.customer_id = "cust_b";
    r2.created_at = 200;
    assert_int_equal(store_redemption_insert(f->w, P1, &r2), 0);
    struct redemption rw = {.id = "r_3",
                            .kind = "reward",
                            .status = "SUCCEEDED",
                            .member_id = "mem_1",
                            .reward_id = "rew_1",
                            .points = 300,
                            .fulfilment = "PENDING",
                            .created_at = 300};
    assert_int_equal(store_redemption_insert(f->w, P1, &rw), 0);
    assert_int_equal(store_redemption_insert(f->w, P1, &rw), TREU_ECONFLICT);

    struct redemption got;
    assert_int_equal(store_redemption_get(f->w, P1, "r_3", &f->a, &got), 0);
    assert_string_equal(got.kind, "reward");
    assert_string_equal(got.fulfilment, "PENDING");
    assert_int_equal(got.points, 300);
    assert_null(got.voucher_id);
    assert_string_equal(got.body_json, "{}");
    assert_int_equal(got.updated_at, 300);
    assert_int_equal(store_redemption_get(f->w, P2, "r_3", &f->a, &got), TREU_ENOTFOUND);

    int64_t count = -1;
    assert_int_equal(store_redemption_count_voucher(f->w, P1, "v_1", NULL, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(store_redemption_count_voucher(f->w, P1, "v_1", "cust_b", &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_redemption_count_reward(f->w, P1, "rew_1", "mem_1", 300, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_redemption_count_reward(f->w, P1, "rew_1", "mem_1", 301, &count), 0);
    assert_int_equal(count, 0);

    /* A rolled-back redemption no longer counts. */
    r2.status = "ROLLED_BACK";
    r2.rollback_id = "rr_1";
    r2.updated_at = 400;
    assert_int_equal(store_redemption_update(f->w, P1, &r2), 0);
    assert_int_equal(store_redemption_count_voucher(f->w, P1, "v_1", NULL, &count), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_redemption_update(f->w, P2, &r2), TREU_ENOTFOUND);

    struct redemption *rows;
    size_t n;
    int64_t total;
    struct page pg = {.limit = 10};
    struct redemption_query q = {.voucher_id = "v_1"};
    assert_int_equal(store_redemption_list(f->w, P1, &q, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    assert_string_equal(rows[0].id, "r_2"); /* newest first */
    assert_string_equal(rows[0].status, "ROLLED_BACK");
    assert_string_equal(rows[0].rollback_id, "rr_1");
    q = (struct redemption_query){.kind = "reward"};
    assert_int_equal(store_redemption_list(f->w, P1, &q, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 1);
    q = (struct redemption_query){0};
    assert_int_equal(store_redemption_list(f->w, P2, &q, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 0);
}

static void test_savepoints(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(store_begin(f->w), 0);
    /* rollback: gone */
    assert_int_equal(store_savepoint(f->w), 0);
    insert_customer(f, P1, "sp_rolled_back", NULL, 1);
    assert_true(customer_exists(f->w, P1, "sp_rolled_back", &f->a));
    store_savepoint_rollback(f->w);
    assert_false(customer_exists(f->w, P1, "sp_rolled_back", &f->a));
    /* release: kept */
    assert_int_equal(store_savepoint(f->w), 0);
    insert_customer(f, P1, "sp_released", NULL, 2);
    assert_int_equal(store_savepoint_release(f->w), 0);
    /* undo keeps the savepoint open for more */
    assert_int_equal(store_savepoint(f->w), 0);
    insert_customer(f, P1, "sp_undone", NULL, 3);
    assert_int_equal(store_savepoint_undo(f->w), 0);
    insert_customer(f, P1, "sp_after_undo", NULL, 4);
    assert_int_equal(store_savepoint_release(f->w), 0);
    assert_int_equal(store_commit(f->w), 0);

    assert_false(customer_exists(f->w, P1, "sp_rolled_back", &f->a));
    assert_true(customer_exists(f->w, P1, "sp_released", &f->a));
    assert_false(customer_exists(f->w, P1, "sp_undone", &f->a));
    assert_true(customer_exists(f->w, P1, "sp_after_undo", &f->a));

    /* A rolled-back transaction leaves nothing either. */
    assert_int_equal(store_begin(f->w), 0);
    insert_customer(f, P1, "tx_rolled_back", NULL, 5);
    store_rollback(f->w);
    assert_false(customer_exists(f->w, P1, "tx_rolled_back", &f->a));
}

static void test_read_only_connection(void **state)
{
    struct fixture *f = *state;
    struct store_conn *r = NULL;
    assert_int_equal(store_conn_open(f->s, false, &r), 0);
    assert_non_null(r);

    /* Uncommitted writes are invisible to the reader. */
    assert_int_equal(store_begin(f->w), 0);
    insert_customer(f, P1, "ro_1", NULL, 10);
    assert_true(customer_exists(f->w, P1, "ro_1", &f->a));
    assert_false(customer_exists(r, P1, "ro_1", &f->a));
    assert_int_equal(store_commit(f->w), 0);
    assert_true(customer_exists(r, P1, "ro_1", &f->a));

    /* A read transaction is a snapshot. */
    struct customer_query q = {.limit = 10};
    struct customer *rows = NULL;
    size_t n = 0;
    int64_t total = 0;
    bool more = false;
    assert_int_equal(store_read_begin(r), 0);
    assert_int_equal(store_customer_list(r, P1, &q, &f->a, &rows, &n, &total, &more), 0);
    assert_int_equal(total, 1);
    insert_customer(f, P1, "ro_2", NULL, 20); /* autocommit */
    assert_int_equal(store_customer_list(r, P1, &q, &f->a, &rows, &n, &total, &more), 0);
    assert_int_equal(total, 1);
    store_read_end(r);
    assert_int_equal(store_customer_list(r, P1, &q, &f->a, &rows, &n, &total, &more), 0);
    assert_int_equal(total, 2);

    /* The reader refuses every kind of write. */
    struct customer c = make_customer("ro_3", NULL, 30);
    assert_true(store_customer_insert(r, P1, &c) < 0);
    struct customer u = make_customer("ro_1", NULL, 10);
    assert_true(store_customer_update(r, P1, &u) < 0);
    assert_true(store_customer_delete(r, P1, "ro_1") < 0);
    struct project p = {.name = "x", .created_at = 1};
    snprintf(p.id, sizeof p.id, "proj_ro");
    assert_true(store_project_insert(r, &p) < 0);
    struct idem_record rec = {.status = 200};
    assert_true(store_idem_put(r, P1, "k", &rec) < 0);
    assert_false(customer_exists(f->w, P1, "ro_3", &f->a));
    assert_true(customer_exists(f->w, P1, "ro_1", &f->a));
    assert_int_equal(store_project_get(f->w, "proj_ro", &f->a, &p), TREU_ENOTFOUND);
    store_conn_free(r);
}

/* ---- rewards, stock, assignments ---- */

static void test_rewards_crud(void **state)
{
    struct fixture *f = *state;
    struct reward r = {.id = "rew_1",
                       .name = "Mug",
                       .type = "MATERIAL",
                       .active = true,
                       .body_json = "{\"stock\":3}",
                       .created_at = 100};
    assert_int_equal(store_reward_insert(f->w, P1, &r), 0);
    assert_int_equal(store_reward_insert(f->w, P1, &r), TREU_ECONFLICT);
    struct reward r2 = r;
    snprintf(r2.id, sizeof r2.id, "rew_2");
    r2.created_at = 200;
    assert_int_equal(store_reward_insert(f->w, P1, &r2), 0);

    struct reward got;
    assert_int_equal(store_reward_get(f->w, P1, "rew_1", &f->a, &got), 0);
    assert_string_equal(got.name, "Mug");
    assert_string_equal(got.type, "MATERIAL");
    assert_string_equal(got.body_json, "{\"stock\":3}");
    assert_true(got.active);
    assert_int_equal(got.updated_at, 100);
    r.name = "Big mug";
    r.active = false;
    r.updated_at = 300;
    assert_int_equal(store_reward_update(f->w, P1, &r), 0);
    assert_int_equal(store_reward_get(f->w, P1, "rew_1", &f->a, &got), 0);
    assert_string_equal(got.name, "Big mug");
    assert_false(got.active);
    assert_int_equal(got.updated_at, 300);

    struct reward *rows;
    size_t n;
    int64_t total;
    struct page pg = {.limit = 1};
    assert_int_equal(store_reward_list(f->w, P1, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 2);
    assert_string_equal(rows[0].id, "rew_2"); /* newest first */
    pg.offset = 1;
    assert_int_equal(store_reward_list(f->w, P1, &pg, &f->a, &rows, &n, &total), 0);
    assert_string_equal(rows[0].id, "rew_1");

    /* Deleting takes the stock rows and assignments with it. */
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_2", "", true, 5), 0);
    struct reward_assignment ra = {.id = "rewa_1",
                                   .reward_id = "rew_2",
                                   .program_id = "camp_1",
                                   .has_points = true,
                                   .points = 10,
                                   .created_at = 400};
    assert_int_equal(store_assignment_insert(f->w, P1, &ra), 0);
    assert_int_equal(store_reward_delete(f->w, P1, "rew_2"), 0);
    assert_int_equal(store_reward_delete(f->w, P1, "rew_2"), TREU_ENOTFOUND);
    struct reward_stock *st;
    assert_int_equal(store_reward_stock_list(f->w, P1, "rew_2", &f->a, &st, &n), 0);
    assert_int_equal(n, 0);
    struct reward_assignment ga;
    assert_int_equal(store_assignment_get(f->w, P1, "rewa_1", &f->a, &ga), TREU_ENOTFOUND);
}

static void test_reward_stock(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_1", "", true, 2), 0);
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_1", "fair", false, 0), 0);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "", 1), 0);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "", 2), TREU_ECONFLICT);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "", 1), 0);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "", 1), TREU_ECONFLICT);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "dark", 1), TREU_ENOTFOUND);
    for (int i = 0; i < 50; i++) /* unlimited */
        assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "fair", 1), 0);
    /* The limit cannot drop below what is redeemed; unlimited can always be set. */
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_1", "", true, 1), TREU_ECONFLICT);
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_1", "fair", true, 49), TREU_ECONFLICT);
    assert_int_equal(store_reward_stock_set(f->w, P1, "rew_1", "fair", true, 50), 0);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "fair", 1), TREU_ECONFLICT);

    struct reward_stock *st;
    size_t n;
    assert_int_equal(store_reward_stock_list(f->w, P1, "rew_1", &f->a, &st, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(st[0].variant, "");
    assert_true(st[0].limited);
    assert_int_equal(st[0].stock, 2);
    assert_int_equal(st[0].redeemed, 2);
    assert_string_equal(st[1].variant, "fair");
    assert_int_equal(st[1].redeemed, 50);

    assert_int_equal(store_reward_stock_give(f->w, P1, "rew_1", "", 2), 0);
    assert_int_equal(store_reward_stock_give(f->w, P1, "rew_1", "", 1), TREU_ECONFLICT);
    assert_int_equal(store_reward_stock_take(f->w, P1, "rew_1", "", 2), 0);

    /* The other project sees none of it and cannot move it. */
    assert_int_equal(store_reward_stock_list(f->w, P2, "rew_1", &f->a, &st, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(store_reward_stock_take(f->w, P2, "rew_1", "", 1), TREU_ENOTFOUND);
    assert_int_equal(store_reward_stock_give(f->w, P2, "rew_1", "", 1), TREU_ENOTFOUND);
}

static void test_reward_assignments(void **state)
{
    struct fixture *f = *state;
    struct reward_assignment ra = {.id = "rewa_1",
                                   .reward_id = "rew_1",
                                   .program_id = "camp_1",
                                   .has_points = true,
                                   .points = 100,
                                   .created_at = 100};
    assert_int_equal(store_assignment_insert(f->w, P1, &ra), 0);
    struct reward_assignment dup = ra;
    snprintf(dup.id, sizeof dup.id, "rewa_x");
    assert_int_equal(store_assignment_insert(f->w, P1, &dup), TREU_ECONFLICT); /* same pair */
    assert_int_equal(store_assignment_insert(f->w, P2, &dup), 0); /* other project: fine */
    struct reward_assignment coin = {.id = "rewa_2",
                                     .reward_id = "rew_2",
                                     .program_id = "camp_1",
                                     .body_json = "{\"tiers\":[]}",
                                     .created_at = 200};
    assert_int_equal(store_assignment_insert(f->w, P1, &coin), 0);
    struct reward_assignment other = {.id = "rewa_3",
                                      .reward_id = "rew_1",
                                      .program_id = "camp_2",
                                      .has_points = true,
                                      .points = 5,
                                      .created_at = 300};
    assert_int_equal(store_assignment_insert(f->w, P1, &other), 0);

    struct reward_assignment got;
    assert_int_equal(store_assignment_get(f->w, P1, "rewa_2", &f->a, &got), 0);
    assert_false(got.has_points);
    assert_string_equal(got.body_json, "{\"tiers\":[]}");
    assert_int_equal(store_assignment_get_pair(f->w, P1, "camp_1", "rew_1", &f->a, &got), 0);
    assert_string_equal(got.id, "rewa_1");
    assert_int_equal(got.points, 100);
    assert_null(got.body_json);
    assert_int_equal(store_assignment_get_pair(f->w, P2, "camp_1", "rew_1", &f->a, &got), 0);
    assert_string_equal(got.id, "rewa_x");
    assert_int_equal(store_assignment_get(f->w, P2, "rewa_1", &f->a, &got), TREU_ENOTFOUND);

    ra.points = 150;
    ra.updated_at = 400;
    assert_int_equal(store_assignment_update(f->w, P1, &ra), 0);
    assert_int_equal(store_assignment_get(f->w, P1, "rewa_1", &f->a, &got), 0);
    assert_int_equal(got.points, 150);
    assert_int_equal(got.updated_at, 400);
    assert_int_equal(store_assignment_update(f->w, P2, &coin), TREU_ENOTFOUND);

    struct reward_assignment *rows;
    size_t n;
    int64_t total;
    struct page pg = {.limit = 10};
    assert_int_equal(store_assignment_list(f->w, P1, "rew_1", NULL, &pg, &f->a, &rows, &n, &total),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    assert_string_equal(rows[0].id, "rewa_3");
    assert_int_equal(store_assignment_list(f->w, P1, NULL, "camp_1", &pg, &f->a, &rows, &n, &total),
                     0);
    assert_int_equal(total, 2);
    assert_string_equal(rows[0].id, "rewa_2");
    assert_int_equal(store_assignment_list(f->w, P2, NULL, NULL, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(total, 1);

    assert_int_equal(store_assignment_delete(f->w, P2, "rewa_1"), TREU_ENOTFOUND);
    assert_int_equal(store_assignment_delete(f->w, P1, "rewa_1"), 0);
    assert_int_equal(store_assignment_delete(f->w, P1, "rewa_1"), TREU_ENOTFOUND);
}

static void test_lot_entry_get(void **state)
{
    struct fixture *f = *state;
    struct lot l = {.id = "lopb_1",
                    .amount = 50,
                    .remaining = 0,
                    .state = LOT_SPENT,
                    .expires_at = 900,
                    .entry_id = "vtx_1",
                    .created_at = 100};
    assert_int_equal(store_lot_insert(f->w, P1, "v_1", &l), 0);
    struct lot got;
    assert_int_equal(store_lot_get(f->w, P1, "v_1", "lopb_1", &f->a, &got), 0);
    assert_int_equal(got.state, LOT_SPENT); /* not an open lot, still readable */
    assert_int_equal(got.amount, 50);
    assert_int_equal(got.expires_at, 900);
    assert_int_equal(store_lot_get(f->w, P2, "v_1", "lopb_1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_lot_get(f->w, P1, "v_2", "lopb_1", &f->a, &got), TREU_ENOTFOUND);

    struct entry e = {.id = "vtx_9",
                      .member_id = "v_1",
                      .seq = 1,
                      .program_id = "camp_1",
                      .type = "POINTS_REDEMPTION",
                      .points = -50,
                      .lots_json = "[{\"id\":\"lopb_1\",\"points\":-50}]",
                      .created_at = 200};
    assert_int_equal(store_entry_insert(f->w, P1, &e), 0);
    struct entry ge;
    assert_int_equal(store_entry_get(f->w, P1, "v_1", "vtx_9", &f->a, &ge), 0);
    assert_string_equal(ge.type, "POINTS_REDEMPTION");
    assert_int_equal(ge.points, -50);
    assert_string_equal(ge.lots_json, e.lots_json);
    assert_int_equal(store_entry_get(f->w, P2, "v_1", "vtx_9", &f->a, &ge), TREU_ENOTFOUND);
}

static void test_campaigns(void **state)
{
    struct fixture *f = *state;
    struct campaign cp = {.id = "camp_1",
                          .name = "Summer",
                          .type = "DISCOUNT_COUPONS",
                          .body_json = "{\"voucher\":{}}",
                          .active = true,
                          .has_budget = true,
                          .budget = 1000,
                          .created_at = 100};
    assert_int_equal(store_campaign_insert(f->w, P1, &cp), 0);
    struct campaign same_name = cp;
    snprintf(same_name.id, sizeof same_name.id, "camp_2");
    assert_int_equal(store_campaign_insert(f->w, P1, &same_name), TREU_ECONFLICT);
    assert_int_equal(store_campaign_insert(f->w, P2, &same_name), 0); /* other project */

    struct campaign got;
    assert_int_equal(store_campaign_get(f->w, P1, "Summer", &f->a, &got), 0);
    assert_string_equal(got.id, "camp_1");
    assert_true(got.has_budget);
    assert_int_equal(got.budget, 1000);
    assert_int_equal(store_campaign_get(f->w, P2, "camp_1", &f->a, &got), TREU_ENOTFOUND);

    /* The budget refuses to be passed and to go below zero. */
    assert_int_equal(store_campaign_budget_add(f->w, P1, "camp_1", 600), 0);
    assert_int_equal(store_campaign_budget_add(f->w, P1, "camp_1", 401), TREU_ECONFLICT);
    assert_int_equal(store_campaign_budget_add(f->w, P1, "camp_1", 400), 0);
    assert_int_equal(store_campaign_budget_add(f->w, P1, "camp_1", -1001), TREU_ECONFLICT);
    assert_int_equal(store_campaign_budget_add(f->w, P2, "camp_1", 1), TREU_ECONFLICT);
    assert_int_equal(store_campaign_count_add(f->w, P1, "camp_1", 5), 0);
    assert_int_equal(store_campaign_get(f->w, P1, "camp_1", &f->a, &got), 0);
    assert_int_equal(got.budget_used, 1000);
    assert_int_equal(got.vouchers_count, 5);

    got.active = false;
    got.name = "Winter";
    got.updated_at = 200;
    assert_int_equal(store_campaign_update(f->w, P1, &got), 0);
    struct campaign *rows;
    size_t n;
    int64_t total;
    struct page pg = {.limit = 10};
    assert_int_equal(store_campaign_list(f->w, P1, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(rows[0].name, "Winter");
    assert_false(rows[0].active);
}

static struct voucher make_voucher(const char *id, const char *code, int64_t at)
{
    struct voucher v = {.code = code,
                        .campaign_id = "camp_1",
                        .type = "DISCOUNT_VOUCHER",
                        .active = true,
                        .has_quantity = true,
                        .quantity = 2,
                        .created_at = at};
    snprintf(v.id, sizeof v.id, "%s", id);
    return v;
}

static void test_vouchers(void **state)
{
    struct fixture *f = *state;
    struct voucher v = make_voucher("v_1", "CODE1", 100);
    assert_int_equal(store_voucher_insert(f->w, P1, &v), 0);
    struct voucher dup = make_voucher("v_2", "CODE1", 100);
    assert_int_equal(store_voucher_insert(f->w, P1, &dup), TREU_ECONFLICT);
    assert_int_equal(store_voucher_insert(f->w, P2, &dup), 0);

    /* Counters: quantity 2 → the third take is refused and changes nothing. */
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_1", 1, 0, 1), 0);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "CODE1", 1, 0, 1), TREU_ECONFLICT);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_1", 1, 0, 1), 0);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_1", 1, 0, 1), TREU_ECONFLICT);
    assert_int_equal(store_voucher_counters_add(f->w, P2, "v_1", 1, 0, 1), TREU_ECONFLICT);
    struct voucher got;
    assert_int_equal(store_voucher_get(f->w, P1, "CODE1", &f->a, &got), 0);
    assert_string_equal(got.id, "v_1");
    assert_int_equal(got.redeemed, 2);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_1", -1, 0, 2), 0);

    /* A gift voucher's balance never goes negative. */
    struct voucher g = make_voucher("v_g", "GIFT1", 150);
    g.has_quantity = false;
    g.is_gift = true;
    g.gift_amount = g.gift_balance = 5000;
    g.type = "GIFT_VOUCHER";
    assert_int_equal(store_voucher_insert(f->w, P1, &g), 0);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_g", 1, -3000, 3), 0);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_g", 1, -2001, 3), TREU_ECONFLICT);
    assert_int_equal(store_voucher_counters_add(f->w, P1, "v_1", 0, -1, 3), TREU_ECONFLICT);
    assert_int_equal(store_voucher_get(f->w, P1, "v_g", &f->a, &got), 0);
    assert_int_equal(got.gift_balance, 2000);
    assert_true(got.is_gift);

    /* Update keeps the counters. */
    got.active = false;
    got.holder_id = "cust_a";
    got.updated_at = 9;
    assert_int_equal(store_voucher_update(f->w, P1, &got), 0);
    assert_int_equal(store_voucher_get(f->w, P1, "GIFT1", &f->a, &got), 0);
    assert_false(got.active);
    assert_int_equal(got.gift_balance, 2000);
    assert_string_equal(got.holder_id, "cust_a");

    struct voucher *rows;
    size_t n;
    int64_t total;
    struct page pg = {.limit = 10};
    struct voucher_query q = {.holder_id = "cust_a"};
    assert_int_equal(store_voucher_list(f->w, P1, &q, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    q = (struct voucher_query){.campaign_id = "camp_1"};
    assert_int_equal(store_voucher_list(f->w, P1, &q, &pg, &f->a, &rows, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_string_equal(rows[0].id, "v_g"); /* newest first */
    assert_int_equal(store_voucher_delete(f->w, P1, "v_g"), 0);
    assert_int_equal(store_voucher_delete(f->w, P1, "v_g"), TREU_ENOTFOUND);
}

static void test_vouchers_bulk_and_claim(void **state)
{
    struct fixture *f = *state;
    struct voucher v = make_voucher("v_0", "TAKEN", 10);
    assert_int_equal(store_voucher_insert(f->w, P1, &v), 0);
    const char ids[4][IDS_MAX_LEN] = {"v_a", "v_b", "v_c", "v_d"};
    const char *codes[4] = {"A1", "TAKEN", "C3", "A1"};
    bool taken[4];
    size_t inserted = 0;
    struct voucher tmpl = make_voucher("", NULL, 20);
    assert_int_equal(store_voucher_insert_many(f->w, P1, &tmpl, 4, ids, codes, taken, &inserted),
                     0);
    assert_int_equal(inserted, 2);
    assert_false(taken[0]);
    assert_true(taken[1]);
    assert_false(taken[2]);
    assert_true(taken[3]); /* a repeat inside the batch */

    /* Claims go oldest first, skip held vouchers, and stay in the project. */
    struct voucher got;
    assert_int_equal(store_voucher_claim(f->w, P2, "camp_1", "cust_x", 30, &f->a, &got),
                     TREU_ENOTFOUND);
    assert_int_equal(store_voucher_claim(f->w, P1, "camp_1", "cust_x", 30, &f->a, &got), 0);
    assert_string_equal(got.id, "v_0");
    assert_string_equal(got.holder_id, "cust_x");
    assert_int_equal(store_voucher_claim(f->w, P1, "camp_1", "cust_y", 31, &f->a, &got), 0);
    assert_int_equal(store_voucher_claim(f->w, P1, "camp_1", "cust_y", 31, &f->a, &got), 0);
    assert_int_equal(store_voucher_claim(f->w, P1, "camp_1", "cust_y", 31, &f->a, &got),
                     TREU_ENOTFOUND);

    struct publication p = {.id = "pub_1",
                            .voucher_id = "v_0",
                            .campaign_id = "camp_1",
                            .customer_id = "cust_x",
                            .source_id = "s1",
                            .created_at = 40};
    assert_int_equal(store_publication_insert(f->w, P1, &p), 0);
    struct publication p2 = p;
    snprintf(p2.id, sizeof p2.id, "pub_2");
    assert_int_equal(store_publication_insert(f->w, P1, &p2), TREU_ECONFLICT);
    struct publication pg_got;
    assert_int_equal(store_publication_get_by_source(f->w, P1, "s1", &f->a, &pg_got), 0);
    assert_string_equal(pg_got.voucher_id, "v_0");
    assert_int_equal(store_publication_get_by_source(f->w, P2, "s1", &f->a, &pg_got),
                     TREU_ENOTFOUND);
    struct publication *rows;
    size_t n;
    int64_t total;
    struct page page = {.limit = 10};
    struct publication_query q = {.customer_id = "cust_x"};
    assert_int_equal(store_publication_list(f->w, P1, &q, &page, &f->a, &rows, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(store_publication_list(f->w, P2, &q, &page, &f->a, &rows, &n, &total), 0);
    assert_int_equal(total, 0);

    /* Deleting the campaign takes its vouchers and publications with it. */
    struct campaign cp = {.id = "camp_1", .name = "C", .type = "DISCOUNT_COUPONS", .created_at = 1};
    assert_int_equal(store_campaign_insert(f->w, P1, &cp), 0);
    assert_int_equal(store_campaign_delete(f->w, P1, "camp_1"), 0);
    assert_int_equal(store_voucher_get(f->w, P1, "A1", &f->a, &got), TREU_ENOTFOUND);
    assert_int_equal(store_publication_list(f->w, P1, &q, &page, &f->a, &rows, &n, &total), 0);
    assert_int_equal(total, 0);
}

int main(void)
{
    /* Migrations log at info; the refused writes of the read-only test log errors, which
     * are expected. */
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_twice, setup, teardown),
        cmocka_unit_test(test_open_bad_url),
        cmocka_unit_test_setup_teardown(test_project_insert_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_list_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customer_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_customer_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tenant_isolation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_order_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redemptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_savepoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewards_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reward_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reward_assignments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lot_entry_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vouchers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vouchers_bulk_and_claim, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

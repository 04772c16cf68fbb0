/* zones_test.c - unit tests for engine/zones, the zone loader and cache: names it refuses,
 * symlinks, the cache limit, the file size limit, and many threads asking at once. Real
 * zones come from Debian's tzdata in /usr/share/zoneinfo. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/tstime.h"
#include "core/tz.h"
#include "engine/zones.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define US           INT64_C(1000000)
#define HOUR_S       3600

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    int64_t days = tstime_days_from_civil(y, mo, d);
    return ((days * 86400) + h * 3600 + mi * 60 + s) * US;
}

static unsigned char *read_zone_file(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", ZONEINFO_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(TZ_DATA_BYTES_MAX);
    assert_non_null(buf);
    *len = fread(buf, 1, TZ_DATA_BYTES_MAX, f);
    fclose(f);
    assert_true(*len > 0);
    return buf;
}

static void test_zones_get(void **state)
{
    (void)state;
    struct zones *zs = NULL;
    assert_int_equal(zones_new(ZONEINFO_DIR, &zs), 0);
    const struct tz *berlin = NULL, *again = NULL;
    assert_int_equal(zones_get(zs, "Europe/Berlin", &berlin), 0);
    assert_non_null(berlin);
    assert_int_equal(zones_get(zs, "Europe/Berlin", &again), 0);
    assert_ptr_equal(berlin, again);
    assert_int_equal(tz_offset_at(berlin, utc(2026, 7, 1, 0, 0, 0)), 2 * HOUR_S);

    const struct tz *z = NULL;
    assert_int_equal(zones_get(zs, "UTC", &z), 0);
    assert_ptr_equal(z, tz_utc());
    assert_int_equal(zones_get(zs, "Etc/UTC", &z), 0);
    assert_ptr_equal(z, tz_utc());
    assert_int_equal(zones_get(zs, "US/Eastern", &z), 0); /* a symlink */
    assert_int_equal(tz_offset_at(z, utc(2026, 1, 1, 0, 0, 0)), -5 * HOUR_S);

    static const struct {
        const char *name;
        int rc;
    } bad[] = {
        {"Mars/Olympus_Mons", TREU_ENOTFOUND},
        {"Europe", TREU_ENOTFOUND},      /* a directory */
        {"leapseconds", TREU_ENOTFOUND}, /* a text file */
        {"right/UTC", TREU_EINVAL},      /* leap seconds */
        {"../etc/passwd", TREU_EINVAL},
        {"Europe/../../etc/passwd", TREU_EINVAL},
        {"/etc/passwd", TREU_EINVAL},
        {"Europe/", TREU_EINVAL},
        {"", TREU_EINVAL},
        {"zone.tab", TREU_EINVAL},
        {"Europe/Berlin\n", TREU_EINVAL},
    };
    for (size_t i = 0; i < TREU_ARRAY_LEN(bad); i++) {
        z = tz_utc();
        if (zones_get(zs, bad[i].name, &z) != bad[i].rc)
            fail_msg("zones_get(\"%s\") != %d", bad[i].name, bad[i].rc);
        assert_null(z);
    }
    zones_free(zs);
    zones_free(NULL);
}

static void test_zones_new_bad_dir(void **state)
{
    (void)state;
    struct zones *zs = (struct zones *)1;
    assert_int_equal(zones_new("/nonexistent/zoneinfo/", &zs), TREU_ENOTFOUND);
    assert_null(zs);
    assert_int_equal(zones_new(ZONEINFO_DIR "UTC", &zs), TREU_ENOTFOUND);
    assert_null(zs);
}

struct tmpdir {
    char path[64];
};

static void tmpdir_make(struct tmpdir *d)
{
    snprintf(d->path, sizeof d->path, "/tmp/treu-tz-test-XXXXXX");
    assert_non_null(mkdtemp(d->path));
}

static void tmpdir_write(const struct tmpdir *d, const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", d->path, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void tmpdir_remove(const struct tmpdir *d, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", d->path, name);
    assert_int_equal(unlink(path), 0);
}

static void test_zones_cache_max(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = read_zone_file("Etc/UTC", &len);
    struct tmpdir d;
    tmpdir_make(&d);
    char name[16];
    for (int i = 0; i <= ZONES_CACHE_MAX; i++) {
        snprintf(name, sizeof name, "Z%04d", i);
        tmpdir_write(&d, name, data, len);
    }
    struct zones *zs = NULL;
    assert_int_equal(zones_new(d.path, &zs), 0); /* no trailing slash */
    const struct tz *first = NULL, *z = NULL;
    for (int i = 0; i < ZONES_CACHE_MAX; i++) {
        snprintf(name, sizeof name, "Z%04d", i);
        assert_int_equal(zones_get(zs, name, i == 0 ? &first : &z), 0);
    }
    snprintf(name, sizeof name, "Z%04d", ZONES_CACHE_MAX);
    assert_int_equal(zones_get(zs, name, &z), TREU_ELIMIT);
    assert_null(z);
    assert_int_equal(zones_get(zs, "Z0000", &z), 0); /* cached zones still answer */
    assert_ptr_equal(z, first);
    assert_int_equal(zones_get(zs, "UTC", &z), 0);
    zones_free(zs);
    for (int i = 0; i <= ZONES_CACHE_MAX; i++) {
        snprintf(name, sizeof name, "Z%04d", i);
        tmpdir_remove(&d, name);
    }
    assert_int_equal(rmdir(d.path), 0);
    free(data);
}

static void test_zones_file_size_max(void **state)
{
    (void)state;
    size_t len;
    unsigned char *utc_data = read_zone_file("Etc/UTC", &len);
    unsigned char *big = calloc(1, TZ_DATA_BYTES_MAX + 1);
    assert_non_null(big);
    memcpy(big, utc_data, len); /* trailing zeros after the footer are ignored */
    struct tmpdir d;
    tmpdir_make(&d);
    tmpdir_write(&d, "Fits", big, TZ_DATA_BYTES_MAX);
    tmpdir_write(&d, "Too_big", big, TZ_DATA_BYTES_MAX + 1);
    tmpdir_write(&d, "Broken", utc_data, len - 1);
    struct zones *zs = NULL;
    assert_int_equal(zones_new(d.path, &zs), 0);
    const struct tz *z = NULL;
    assert_int_equal(zones_get(zs, "Fits", &z), 0);
    assert_int_equal(tz_offset_at(z, 0), 0);
    assert_int_equal(zones_get(zs, "Too_big", &z), TREU_ELIMIT);
    assert_int_equal(zones_get(zs, "Broken", &z), TREU_EINVAL);
    zones_free(zs);
    tmpdir_remove(&d, "Fits");
    tmpdir_remove(&d, "Too_big");
    tmpdir_remove(&d, "Broken");
    assert_int_equal(rmdir(d.path), 0);
    free(big);
    free(utc_data);
}

#define ZONES_THREADS 8

static const char *const thread_zones[] = {"Europe/Berlin", "Asia/Kolkata", "America/New_York",
                                           "Pacific/Chatham", "Australia/Lord_Howe"};

struct zones_thread {
    struct zones *zs;
    const struct tz *got[TREU_ARRAY_LEN(thread_zones)];
    int rc;
};

static void *zones_thread_main(void *arg)
{
    struct zones_thread *t = arg;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < TREU_ARRAY_LEN(thread_zones); i++) {
            const struct tz *z = NULL;
            int rc = zones_get(t->zs, thread_zones[i], &z);
            if (rc < 0 || (t->got[i] && t->got[i] != z))
                t->rc = rc < 0 ? rc : -100;
            t->got[i] = z;
        }
    return NULL;
}

static void test_zones_threads(void **state)
{
    (void)state;
    struct zones *zs = NULL;
    assert_int_equal(zones_new(ZONEINFO_DIR, &zs), 0);
    struct zones_thread ts[ZONES_THREADS];
    pthread_t th[ZONES_THREADS];
    memset(ts, 0, sizeof ts);
    for (int i = 0; i < ZONES_THREADS; i++) {
        ts[i].zs = zs;
        assert_int_equal(pthread_create(&th[i], NULL, zones_thread_main, &ts[i]), 0);
    }
    for (int i = 0; i < ZONES_THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < ZONES_THREADS; i++) {
        assert_int_equal(ts[i].rc, 0);
        for (size_t k = 0; k < TREU_ARRAY_LEN(thread_zones); k++)
            assert_ptr_equal(ts[i].got[k], ts[0].got[k]);
    }
    zones_free(zs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zones_get),       cmocka_unit_test(test_zones_new_bad_dir),
        cmocka_unit_test(test_zones_cache_max), cmocka_unit_test(test_zones_file_size_max),
        cmocka_unit_test(test_zones_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

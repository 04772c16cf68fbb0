/* zones.c - zone files read once, parsed once, shared read-only by every thread.
 *
 * The cache is an open-addressing table twice the size of its cap, so probes stay short
 * and never run out of empty slots. A zone is never evicted: parsed zones are immutable
 * and callers keep pointers to them until zones_free. The mutex is held only for lookups
 * and inserts; a first-time load reads and parses the file without it, and if two threads
 * load the same zone at once the second insert finds the first and frees its own copy.
 *
 * Files are opened relative to a directory handle taken at start, with names checked by
 * validate_tz_name first, so a name can never climb out of the zone directory. */
#include "engine/zones.h"

#include "core/validate.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZONES_SLOTS (2 * ZONES_CACHE_MAX)

static_assert((ZONES_SLOTS & (ZONES_SLOTS - 1)) == 0, "the slot count must be a power of two");

struct zones_slot {
    char name[VALIDATE_TZ_BYTES_MAX + 1];
    struct tz *tz; /* NULL: the slot is empty */
};

struct zones {
    int dir_fd;
    pthread_mutex_t mu;
    size_t count;                         /* guarded by mu */
    struct zones_slot slots[ZONES_SLOTS]; /* guarded by mu */
};

int zones_new(const char *dir, struct zones **out)
{
    ASSERT(dir && out);
    *out = NULL;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return (errno == ENOENT || errno == ENOTDIR) ? TREU_ENOTFOUND : TREU_EIO;
    struct zones *zs = calloc(1, sizeof *zs);
    if (zs == NULL) {
        close(fd);
        return TREU_ENOMEM;
    }
    zs->dir_fd = fd;
    pthread_mutex_init(&zs->mu, NULL);
    *out = zs;
    return 0;
}

void zones_free(struct zones *zs)
{
    if (zs == NULL)
        return;
    for (size_t i = 0; i < ZONES_SLOTS; i++)
        tz_free(zs->slots[i].tz);
    pthread_mutex_destroy(&zs->mu);
    close(zs->dir_fd);
    free(zs);
}

/* FNV-1a: names are short and chosen by us, not by an attacker who could flood a slot
 * (the cap bounds the table anyway). */
static size_t zones_hash(struct slice s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < s.len; i++) {
        h ^= (unsigned char)s.ptr[i];
        h *= UINT64_C(1099511628211);
    }
    return (size_t)h;
}

/* The slot holding `name`, or the empty slot where it belongs. Caller holds mu. */
static struct zones_slot *zones_slot_locked(struct zones *zs, struct slice name)
{
    size_t i = zones_hash(name) & (ZONES_SLOTS - 1);
    for (;;) {
        struct zones_slot *s = &zs->slots[i];
        if (s->tz == NULL || slice_eq_str(name, s->name))
            return s;
        i = (i + 1) & (ZONES_SLOTS - 1);
    }
}

static const struct tz *zones_lookup(struct zones *zs, struct slice name)
{
    pthread_mutex_lock(&zs->mu);
    const struct tz *z = zones_slot_locked(zs, name)->tz;
    pthread_mutex_unlock(&zs->mu);
    return z;
}

/* Caches *z under `name` unless another thread did first; *out gets the cached zone.
 * Takes *z (sets it to NULL) only when it is stored. */
static int zones_insert(struct zones *zs, struct slice name, struct tz **z, const struct tz **out)
{
    int rc = 0;
    pthread_mutex_lock(&zs->mu);
    struct zones_slot *s = zones_slot_locked(zs, name);
    if (s->tz == NULL && zs->count >= ZONES_CACHE_MAX) {
        rc = TREU_ELIMIT;
    } else if (s->tz == NULL) {
        memcpy(s->name, name.ptr, name.len);
        s->name[name.len] = '\0';
        s->tz = *z;
        *z = NULL;
        zs->count++;
    }
    if (rc == 0)
        *out = s->tz;
    pthread_mutex_unlock(&zs->mu);
    return rc;
}

static int zones_errno_rc(int e)
{
    return (e == ENOENT || e == ENOTDIR || e == ELOOP || e == EISDIR) ? TREU_ENOTFOUND : TREU_EIO;
}

/* Reads a whole regular file into buf (TZ_DATA_BYTES_MAX + 1 bytes). */
static int zones_read(int fd, unsigned char *buf, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return TREU_EIO;
    if (!S_ISREG(st.st_mode))
        return TREU_ENOTFOUND;
    size_t n = 0;
    while (n <= TZ_DATA_BYTES_MAX) {
        ssize_t r = read(fd, buf + n, TZ_DATA_BYTES_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return TREU_EIO;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > TZ_DATA_BYTES_MAX)
        return TREU_ELIMIT;
    *len = n;
    return 0;
}

/* Reads and parses the zone file `name` (already validated). */
static int zones_load(int dir_fd, const char *name, struct tz **out)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int rc = fd < 0 ? zones_errno_rc(errno) : 0;
    if (rc < 0)
        goto out;
    buf = malloc(TZ_DATA_BYTES_MAX + 1);
    if (buf == NULL) {
        rc = TREU_ENOMEM;
        goto out;
    }
    rc = zones_read(fd, buf, &len);
    if (rc < 0)
        goto out;
    if (len < 4 || memcmp(buf, "TZif", 4) != 0) { /* e.g. "leapseconds", a text file */
        rc = TREU_ENOTFOUND;
        goto out;
    }
    rc = tz_parse(buf, len, out);
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* validate_tz_name already refuses every '.'; this keeps ".." out even if that changes. */
static bool zones_has_dotdot(struct slice s)
{
    for (size_t i = 0; i + 1 < s.len; i++)
        if (s.ptr[i] == '.' && s.ptr[i + 1] == '.')
            return true;
    return false;
}

int zones_get(struct zones *zs, const char *name, const struct tz **out)
{
    ASSERT(zs && name && out);
    *out = NULL;
    struct slice s = slice_from(name);
    if (!validate_tz_name(s) || zones_has_dotdot(s))
        return TREU_EINVAL;
    if (slice_eq_str(s, "UTC") || slice_eq_str(s, "Etc/UTC")) {
        *out = tz_utc();
        return 0;
    }
    *out = zones_lookup(zs, s);
    if (*out)
        return 0;
    struct tz *z = NULL;
    int rc = zones_load(zs->dir_fd, name, &z);
    if (rc == 0)
        rc = zones_insert(zs, s, &z, out);
    tz_free(z);
    return rc;
}

int zones_period_start(struct zones *zs, const char *name, const char *period, int64_t now,
                       int64_t *since)
{
    *since = 0;
    if (!period)
        return 0;
    const struct tz *z = NULL;
    int rc = zones_get(zs, name ? name : "UTC", &z);
    if (rc == 0)
        *since = tz_period_start(z, now, period);
    return rc;
}

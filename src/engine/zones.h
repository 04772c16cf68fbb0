/* zones.h - IANA time zones by name, read from a TZif directory once and kept until the end.
 * Owns a cache of parsed zones (at most ZONES_CACHE_MAX) and an open handle on the zone
 * directory. zones_new and zones_free run once, at start and at end; zones_get may be
 * called from any thread at the same time (a mutex guards the cache; files are read
 * outside it). Errors: 0 or a negative TREU_E* code. */
#ifndef TREU_ZONES_H
#define TREU_ZONES_H

#include "core/tz.h"

#define ZONES_CACHE_MAX 1024 /* distinct zones kept; the IANA database has about 600 */

struct zones;

/* Opens the zone directory `dir` (normally "/usr/share/zoneinfo/") and creates an empty
 * cache. TREU_ENOTFOUND if dir does not exist or is not a directory, TREU_EIO if it cannot
 * be opened, TREU_ENOMEM. *out is NULL on failure; zones_free it otherwise. */
TREU_MUST_USE int zones_new(const char *dir, struct zones **out);

/* Frees every cached zone; pointers from zones_get die with it. Accepts NULL. */
void zones_free(struct zones *zs);

/* The zone named `name` (e.g. "Europe/Berlin"). "UTC" and "Etc/UTC" are tz_utc() without
 * touching the directory. Other names are read from the directory and parsed on first
 * use; the result stays valid until zones_free.
 * Errors: TREU_EINVAL for a name that is not a zone name's shape (validate_tz_name; never
 * "..") or a zone file that does not parse; TREU_ENOTFOUND when no zone file has that name
 * (missing, a directory, not TZif data); TREU_ELIMIT when the file is larger than
 * TZ_DATA_BYTES_MAX or the cache already holds ZONES_CACHE_MAX zones; TREU_EIO, TREU_ENOMEM.
 * Failures are not cached: the next call tries again. *out is NULL on failure. */
TREU_MUST_USE int zones_get(struct zones *zs, const char *name, const struct tz **out);

/* The local start of the calendar period ("DAY", "WEEK" from Monday, "MONTH", "YEAR") that
 * contains `now` in zone `name` (NULL = UTC); a NULL period means all time: *since = 0. */
TREU_MUST_USE int zones_period_start(struct zones *zs, const char *name, const char *period,
                                     int64_t now, int64_t *since);

#endif

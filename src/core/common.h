/* common.h - what every treu module shares: error codes, assertions, attributes.
 * Pure definitions; no state. Every fallible function returns 0 or a negative TREU_E*
 * code and is marked TREU_MUST_USE; business outcomes are enums of their own module. */
#ifndef TREU_COMMON_H
#define TREU_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TREU_MUST_USE     __attribute__((warn_unused_result))
#define TREU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TREU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Operating errors. Negative so that `rc < 0` reads as "failed". */
enum treu_err {
    TREU_OK = 0,
    TREU_ENOMEM = -1,    /* allocation failed or an arena cap was hit */
    TREU_EIO = -2,       /* storage or OS I/O failed */
    TREU_EBUSY = -3,     /* storage locked by someone else for too long */
    TREU_ELIMIT = -4,    /* an explicit size limit was exceeded */
    TREU_EINVAL = -5,    /* the caller passed something malformed */
    TREU_ENOTFOUND = -6, /* the thing asked for does not exist */
    TREU_ECONFLICT = -7, /* a uniqueness constraint would be broken */
    TREU_ESTOPPED = -8,  /* the component is shutting down */
    TREU_EFULL = -9,     /* storage is full or read-only: retry later */
};

const char *treu_strerror(int rc);

/* Always-on assertion for invariants whose breach means corruption or a programming
 * error. Never used for input validation. */
#define ASSERT(cond)                                                                               \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            treu_assert_fail(#cond, __FILE__, __LINE__);                                           \
    } while (0)

/* Debug-only assertion for expensive checks. */
#ifdef NDEBUG
#define DEBUG_ASSERT(cond) ((void)0)
#else
#define DEBUG_ASSERT(cond) ASSERT(cond)
#endif

_Noreturn void treu_assert_fail(const char *expr, const char *file, int line);

#endif

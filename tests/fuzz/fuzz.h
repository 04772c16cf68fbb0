/* fuzz.h - what every fuzz target shares: the libFuzzer entry point, an always-on check
 * that names the broken property, and small helpers to cut an input into parts.
 * A target is built twice from the same source: with clang's libFuzzer (meson -Dfuzz=true,
 * `make fuzz`) and, with driver.c as its main, as a plain program that replays a corpus
 * under ASan+UBSan (`make test`). See tests/fuzz/README.md. */
#ifndef TREU_FUZZ_H
#define TREU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Called once per input; must not keep state that changes the next call's outcome. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold for every input. Aborting makes libFuzzer keep the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);            \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated heap copy of the input (free it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Reads the next little-endian integer of `n` bytes (0 past the end). */
static inline uint64_t fuzz_take(const uint8_t **p, size_t *left, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && *left; i++, (*p)++, (*left)--)
        v |= (uint64_t) * *p << (8 * i);
    return v;
}

#endif

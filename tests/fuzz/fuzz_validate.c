/* fuzz_validate.c - the shape checks for text from outside (validate_*).
 * Properties: each check agrees with its header's description, restated here as an
 * independent reference: text has no C0 control but tab and no DEL; a phone is 1..32 bytes
 * of digits, spaces and "+-()." with at least 3 digits; a token is printable ASCII; a
 * request id is [A-Za-z0-9-_.:]; an accepted e-mail has one '@' with non-empty parts, a
 * domain with an inner dot, no spaces, controls or "<>,;"; an accepted zone name has no
 * empty segment, no "." at all (so no ".."), and no segment starting with '-'. */
#include "fuzz.h"

#include "core/validate.h"

#include <stdbool.h>

static bool ref_text(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7F)
            return false;
    }
    return true;
}

static bool ref_phone(const uint8_t *s, size_t n)
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (!memchr(" +-().", s[i], 6))
            return false;
    }
    return n >= 1 && n <= VALIDATE_PHONE_BYTES_MAX && digits >= 3;
}

static bool ref_token(const uint8_t *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7E)
            return false;
    }
    return n >= 1 && n <= max;
}

static bool ref_request_id(const uint8_t *s, size_t n, size_t max)
{
    static const char extra[] = "-_.:";
    for (size_t i = 0; i < n; i++) {
        bool alnum = (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                     (s[i] >= '0' && s[i] <= '9');
        if (!alnum && (!s[i] || !memchr(extra, s[i], sizeof extra - 1)))
            return false;
    }
    return n >= 1 && n <= max;
}

static void check_email(const uint8_t *s, size_t n)
{
    FUZZ_CHECK(n >= 3 && n <= VALIDATE_EMAIL_BYTES_MAX);
    const uint8_t *at = memchr(s, '@', n);
    FUZZ_CHECK(at && at > s && !memchr(at + 1, '@', n - (size_t)(at - s) - 1));
    const uint8_t *dom = at + 1;
    size_t dlen = n - (size_t)(dom - s);
    FUZZ_CHECK(dlen >= 3 && dom[0] != '.' && dom[dlen - 1] != '.' && memchr(dom, '.', dlen));
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(s[i] > 0x20 && s[i] != 0x7F && !memchr("<>,;", s[i], 4));
}

static void check_tz_name(const uint8_t *s, size_t n)
{
    FUZZ_CHECK(n >= 1 && n <= VALIDATE_TZ_BYTES_MAX);
    FUZZ_CHECK(!memchr(s, '.', n) && s[0] != '/' && s[n - 1] != '/' && s[0] != '-');
    for (size_t i = 1; i < n; i++)
        FUZZ_CHECK(!(s[i - 1] == '/' && (s[i] == '/' || s[i] == '-')));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct slice s = {(const char *)data, size};
    FUZZ_CHECK(validate_text(s) == ref_text(data, size));
    FUZZ_CHECK(validate_phone(s) == ref_phone(data, size));
    FUZZ_CHECK(validate_token(s, 64) == ref_token(data, size, 64));
    FUZZ_CHECK(validate_request_id(s, 64) == ref_request_id(data, size, 64));
    if (validate_email(s))
        check_email(data, size);
    if (validate_tz_name(s))
        check_tz_name(data, size);
    return 0;
}

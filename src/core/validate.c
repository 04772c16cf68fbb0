/* validate.c - deliberately conservative: accept what real systems send, refuse what
 * would be ambiguous to store or dangerous to echo. */
#include "core/validate.h"

bool validate_text(struct slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return false;
    }
    return true;
}

bool validate_email(struct slice s)
{
    if (s.len < 3 || s.len > VALIDATE_EMAIL_BYTES_MAX)
        return false;
    size_t at = s.len;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == ',' || c == ';')
            return false;
        if (c == '@') {
            if (at != s.len)
                return false;
            at = i;
        }
    }
    if (at == 0 || at >= s.len - 1)
        return false;
    const char *dom = s.ptr + at + 1;
    size_t dlen = s.len - at - 1;
    if (dom[0] == '.' || dom[dlen - 1] == '.')
        return false;
    for (size_t i = 0; i < dlen; i++) {
        if (dom[i] == '.')
            return i + 1 < dlen && dom[i + 1] != '.';
    }
    return false;
}

bool validate_phone(struct slice s)
{
    if (s.len == 0 || s.len > VALIDATE_PHONE_BYTES_MAX)
        return false;
    int digits = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c != ' ' && c != '+' && c != '-' && c != '(' && c != ')' && c != '.')
            return false;
    }
    return digits >= 3;
}

bool validate_tz_name(struct slice s)
{
    if (s.len == 0 || s.len > VALIDATE_TZ_BYTES_MAX)
        return false;
    bool seg_start = true;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '/') {
            if (seg_start)
                return false;
            seg_start = true;
            continue;
        }
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '-';
        if (!ok || (seg_start && c == '-'))
            return false;
        seg_start = false;
    }
    return !seg_start;
}

bool validate_token(struct slice s, size_t max_len)
{
    if (s.len == 0 || s.len > max_len)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x21 || c > 0x7E)
            return false;
    }
    return true;
}

bool validate_request_id(struct slice s, size_t max_len)
{
    if (s.len == 0 || s.len > max_len)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok)
            return false;
    }
    return true;
}

/* validate.h - shape checks for text fields that arrive from outside: e-mail, phone,
 * IANA zone names, printable tokens. Pure and allocation-free; each answers true/false
 * and leaves the wording of errors to the caller, which knows the field's name. */
#ifndef TREU_VALIDATE_H
#define TREU_VALIDATE_H

#include "core/buf.h"

#include <stdbool.h>

#define VALIDATE_EMAIL_BYTES_MAX 254
#define VALIDATE_PHONE_BYTES_MAX 32
#define VALIDATE_TZ_BYTES_MAX    64

/* Valid UTF-8 (checked elsewhere) without C0 controls other than tab, and without DEL. */
bool validate_text(struct slice s);

/* local@domain: one '@', non-empty parts, no spaces or controls, a dot in the domain
 * that is neither first nor last, at most VALIDATE_EMAIL_BYTES_MAX bytes. */
bool validate_email(struct slice s);

/* Digits, spaces and "+-().", at least 3 digits, at most VALIDATE_PHONE_BYTES_MAX bytes. */
bool validate_phone(struct slice s);

/* Syntax of an IANA zone name: segments of [A-Za-z0-9_+-] joined by '/', no segment
 * starting with '.' or '-', "UTC" style single segments allowed. Existence in the zone
 * database is checked by the caller. */
bool validate_tz_name(struct slice s);

/* 1..max_len bytes of printable ASCII (0x21..0x7E). */
bool validate_token(struct slice s, size_t max_len);

/* 1..max_len bytes of [A-Za-z0-9-_.:] (request ids). */
bool validate_request_id(struct slice s, size_t max_len);

#endif

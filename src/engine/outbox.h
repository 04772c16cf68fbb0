/* outbox.h - events for webhooks, written in the same transaction as the change that caused
 * them. A command calls outbox_emit while it runs on the writer thread: the event and one
 * delivery per active endpoint subscribed to its type are stored inside the command's
 * savepoint, so an undone command emits nothing and a committed one always has its events.
 * jobs/webhooks.c delivers them. Event names follow Voucherify's where one exists
 * (src/engine/README.md lists them).
 * Thread: the writer only. Errors: 0 or a negative TREU_E* (the command then fails). */
#ifndef TREU_OUTBOX_H
#define TREU_OUTBOX_H

#include "core/buf.h"
#include "core/json.h"
#include "engine/writer.h"

#define OUTBOX_WEBHOOKS_PER_PROJECT_MAX 16 /* endpoints a project may register */
#define OUTBOX_TYPE_BYTES_MAX           64
#define OUTBOX_EVENT_BYTES_MAX          (256u * 1024) /* one event's signed body */

/* True when `type` is an event type treu emits (or will: names reserved for them). */
bool outbox_event_known(const char *type);

/* True when a comma-joined subscription list ("*" = all) includes `type`. */
bool outbox_subscribed(const char *events, const char *type);

/* Whether any active endpoint of the project subscribes to `type`: one indexed read, and
 * nothing else when the project has no endpoint. Callers on hot paths ask this before
 * building an event's data. */
TREU_MUST_USE int outbox_wanted(const struct writer_tx *tx, const char *pid, const char *type,
                                bool *wanted);

/* Stores the event {id "whevt_…", object "event", type, created_at (tx->now_us), data} and
 * a PENDING delivery, due now, for every active endpoint subscribed to `type`; nothing when
 * none is. `data_json` is one JSON object, copied. Sets tx->notify when it queued a
 * delivery, so the delivery worker wakes after the commit. TREU_ELIMIT when the body
 * exceeds OUTBOX_EVENT_BYTES_MAX. */
TREU_MUST_USE int outbox_emit(const struct writer_tx *tx, const char *pid, const char *type,
                              const char *data_json);

/* Writes an event's data: the fields of the object that outbox_emit_built opened. */
typedef void (*outbox_write_fn)(struct jw *w, const void *arg);

/* Emits `type` with data built by `write`, only when an endpoint wants it: a project
 * without endpoints builds no JSON (one indexed read). */
TREU_MUST_USE int outbox_emit_built(const struct writer_tx *tx, const char *pid, const char *type,
                                    outbox_write_fn write, const void *arg);

/* Emits `type` about a voucher redemption or rollback: its id, kind, status, customer,
 * voucher, campaign, order, amount and links (only when an endpoint wants `type`). */
TREU_MUST_USE int outbox_emit_redemption(const struct writer_tx *tx, const char *pid,
                                         const char *type, const struct redemption *red);

#endif

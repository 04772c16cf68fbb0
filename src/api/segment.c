/* segment.c - Segment-style ingestion: POST /v1/identify, /v1/track and /v1/batch as
 * Segment's HTTP tracking API defines them, so a shop that already sends its events
 * through Segment's libraries can point them at treu. identify upserts the customer whose
 * source_id is the userId (traits → fields, the rest merged into metadata); track records
 * a custom event through the same path as POST /v1/events (api_event_apply), with the
 * messageId as the event's source_id, so a retried delivery earns once. page, screen,
 * group and alias are accepted and ignored.
 * Event names are lowered to the earning rules' alphabet: "Review Written" triggers the
 * rules for review_written.
 * Everything is checked on the request thread; one request is one writer command, so a
 * batch's items are applied in order and committed together. An item that is well-formed
 * JSON but unusable (no userId, a track without event) is skipped in a batch and named in
 * the answer; a single call answers 400 for it instead. Trait values that fail treu's
 * checks (an e-mail without '@') are not stored, never stored half-valid. */
#include "api/api.h"

#include "core/tstime.h"
#include "core/validate.h"
#include "engine/customers.h"

#include <string.h>

#define SEGMENT_CALL_BYTES_MAX        (32 * 1024)  /* one call, or one item of a batch */
#define SEGMENT_BATCH_BYTES_MAX       (500 * 1024) /* one batch request */
#define SEGMENT_BATCH_ITEMS_MAX       2500
#define SEGMENT_ID_BYTES_MAX          255 /* userId and messageId; a customer's source_id */
#define SEGMENT_ITEM_ARENA_BYTES_MAX  (2u * 1024 * 1024)
#define SEGMENT_TEXT_BYTES_MAX        255
#define SEGMENT_DESCRIPTION_BYTES_MAX 1024
#define SEGMENT_ANON_PREFIX           "anonymous:"

enum seg_type { SEG_IDENTIFY, SEG_TRACK, SEG_PAGE, SEG_SCREEN, SEG_GROUP, SEG_ALIAS };
static const char *const seg_types[] = {"identify", "track", "page", "screen",
                                        "group",    "alias", NULL};

/* Traits that map onto customer fields; never copied into metadata. */
static const char *const seg_mapped_traits[] = {"name",  "firstName", "lastName", "email",
                                                "phone", "birthday",  "address",  "description",
                                                "id",    NULL};

#define SEG_IGNORED_TRAITS_MAX 8

struct seg_item {
    enum seg_type type;
    const char *skip;           /* why the item is not applied; NULL = apply it */
    const char *source_id;      /* userId, or SEGMENT_ANON_PREFIX anonymousId */
    const char *anon_source_id; /* SEGMENT_ANON_PREFIX anonymousId when both were sent */
    struct customer_patch patch;
    const cJSON *traits; /* identify: the object whose unmapped keys go to metadata */
    const char *ignored[SEG_IGNORED_TRAITS_MAX]; /* mapped traits whose value was refused */
    int nignored;
    struct event_input ev; /* track */
};

struct seg_cmd {
    struct request *r;
    struct seg_item *items;
    size_t n;
    bool batch;
};

static bool seg_is_mapped(const char *name)
{
    for (const char *const *m = seg_mapped_traits; *m; m++) {
        if (strcmp(*m, name) == 0)
            return true;
    }
    return false;
}

/* A string trait of valid text and at most `max` bytes; NULL otherwise. */
static const char *seg_text(const cJSON *obj, const char *name, size_t max)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(v))
        return NULL;
    size_t len = strlen(v->valuestring);
    if (len == 0 || len > max || !validate_text((struct slice){v->valuestring, len}))
        return NULL;
    return v->valuestring;
}

static void seg_ignore(struct seg_item *it, const cJSON *traits, const char *name)
{
    if (cJSON_GetObjectItemCaseSensitive(traits, name) && it->nignored < SEG_IGNORED_TRAITS_MAX)
        it->ignored[it->nignored++] = name;
}

/* A trait that is either a valid value (stored in *f) or ignored. */
static void seg_field(struct seg_item *it, const cJSON *traits, const char *name, size_t max,
                      bool (*valid)(struct slice), struct opt_str *f)
{
    const char *v = seg_text(traits, name, max);
    if (v && (!valid || valid(slice_from(v)))) {
        f->set = true;
        f->v = v;
    } else {
        seg_ignore(it, traits, name);
    }
}

/* name, or firstName and lastName joined by a space. */
static int seg_name(struct request *r, struct seg_item *it, const cJSON *traits)
{
    if (cJSON_GetObjectItemCaseSensitive(traits, "name")) {
        seg_field(it, traits, "name", SEGMENT_TEXT_BYTES_MAX, NULL, &it->patch.name);
        return 0;
    }
    const char *first = seg_text(traits, "firstName", SEGMENT_TEXT_BYTES_MAX);
    const char *last = seg_text(traits, "lastName", SEGMENT_TEXT_BYTES_MAX);
    if (!first)
        seg_ignore(it, traits, "firstName");
    if (!last)
        seg_ignore(it, traits, "lastName");
    if (!first && !last)
        return 0;
    struct buf b;
    buf_init(&b, SEGMENT_TEXT_BYTES_MAX);
    buf_puts(&b, first ? first : "");
    buf_puts(&b, first && last ? " " : "");
    buf_puts(&b, last ? last : "");
    if (b.err) {
        seg_ignore(it, traits, first ? "firstName" : "lastName");
    } else {
        it->patch.name.set = true;
        it->patch.name.v = arena_strndup(&r->arena, b.ptr, b.len);
    }
    buf_cleanup(&b);
    return it->patch.name.set && !it->patch.name.v ? TREU_ENOMEM : 0;
}

/* birthday: a date (YYYY-MM-DD) or an ISO 8601 instant, whose date part is kept. */
static void seg_birthday(struct request *r, struct seg_item *it, const cJSON *traits)
{
    const char *s = seg_text(traits, "birthday", 64);
    int64_t y;
    unsigned m, d;
    int64_t today = clock_now_us(r->app->clock) / TSTIME_US_PER_DAY;
    if (s && strlen(s) >= 10 && (s[10] == '\0' || s[10] == 'T' || s[10] == ' ') &&
        tstime_parse_date(s, 10, &y, &m, &d) == 0 && y >= 1900 &&
        tstime_days_from_civil(y, m, d) <= today) {
        it->patch.birthdate.set = true;
        it->patch.birthdate.v = arena_strndup(&r->arena, s, 10);
        return;
    }
    seg_ignore(it, traits, "birthday");
}

/* address: Segment's {street, city, state, postalCode, country} as treu's address. */
static int seg_address(struct request *r, struct seg_item *it, const cJSON *traits)
{
    static const char *const from[] = {"city", "state", "street", NULL, "country", "postalCode"};
    static const char *const to[] = {"city", "state", "line_1", "line_2", "country", "postal_code"};
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(traits, "address");
    if (!a)
        return 0;
    if (!cJSON_IsObject(a)) {
        seg_ignore(it, traits, "address");
        return 0;
    }
    struct buf b;
    struct jw w;
    buf_init(&b, 4096);
    jw_init(&w, &b);
    jw_obj_open(&w);
    for (size_t i = 0; i < TREU_ARRAY_LEN(to); i++)
        jw_kv_str(&w, to[i], from[i] ? seg_text(a, from[i], SEGMENT_TEXT_BYTES_MAX) : NULL);
    jw_obj_close(&w);
    it->patch.address_json.set = true;
    it->patch.address_json.v = b.err ? NULL : arena_strndup(&r->arena, b.ptr, b.len);
    buf_cleanup(&b);
    return it->patch.address_json.v ? 0 : TREU_ENOMEM;
}

/* identify's traits → the patch; unmapped traits are merged into metadata later. */
static int seg_traits(struct request *r, const cJSON *obj, struct seg_item *it)
{
    const cJSON *traits = cJSON_GetObjectItemCaseSensitive(obj, "traits");
    if (!traits || cJSON_IsNull(traits))
        return 0;
    if (!cJSON_IsObject(traits)) {
        it->skip = "traits: must be an object";
        return 0;
    }
    it->traits = traits;
    seg_field(it, traits, "email", VALIDATE_EMAIL_BYTES_MAX, validate_email, &it->patch.email);
    seg_field(it, traits, "phone", VALIDATE_PHONE_BYTES_MAX, validate_phone, &it->patch.phone);
    seg_field(it, traits, "description", SEGMENT_DESCRIPTION_BYTES_MAX, NULL,
              &it->patch.description);
    seg_birthday(r, it, traits);
    int rc = seg_name(r, it, traits);
    return rc < 0 ? rc : seg_address(r, it, traits);
}

/* userId / anonymousId → the customer's source_id. */
static int seg_ids(struct request *r, const cJSON *obj, struct seg_item *it)
{
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(obj, "userId");
    const cJSON *aid = cJSON_GetObjectItemCaseSensitive(obj, "anonymousId");
    size_t anon_max = SEGMENT_ID_BYTES_MAX - strlen(SEGMENT_ANON_PREFIX);
    bool has_uid = uid && !cJSON_IsNull(uid), has_aid = aid && !cJSON_IsNull(aid);
    const char *u = seg_text(obj, "userId", SEGMENT_ID_BYTES_MAX);
    const char *an = seg_text(obj, "anonymousId", anon_max);
    if ((has_uid && !u) || (has_aid && !an)) {
        it->skip = has_uid && !u ? "userId: must be a non-empty string of at most 255 bytes"
                                 : "anonymousId: must be a non-empty string of at most 245 bytes";
        return 0;
    }
    if (!u && !an) {
        it->skip = "userId or anonymousId: one is required";
        return 0;
    }
    const char *anon = NULL;
    if (an) {
        size_t len = strlen(SEGMENT_ANON_PREFIX) + strlen(an);
        char *s = arena_alloc(&r->arena, len + 1);
        if (!s)
            return TREU_ENOMEM;
        snprintf(s, len + 1, "%s%s", SEGMENT_ANON_PREFIX, an);
        anon = s;
    }
    it->source_id = u ? u : anon;
    it->anon_source_id = u ? anon : NULL;
    it->patch.source_id.set = true;
    it->patch.source_id.v = it->source_id;
    return 0;
}

/* Segment names events "Order Completed"; earning rules name them order_completed (a-z
 * 0-9 _ . -). Letters are lowered and every other byte becomes '_', so a rule can be
 * written for any event a Segment library sends. NULL when out of memory. */
static const char *seg_event_name(struct request *r, const char *name)
{
    char *s = arena_strdup(&r->arena, name);
    for (char *p = s; p && *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
            *p = '_';
    }
    return s;
}

static int seg_track(struct request *r, const cJSON *obj, struct seg_item *it)
{
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(obj, "event");
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(obj, "properties");
    const cJSON *mid = cJSON_GetObjectItemCaseSensitive(obj, "messageId");
    it->ev.name = seg_text(obj, "event", EVENT_NAME_BYTES_MAX);
    if (!it->ev.name) {
        it->skip = ev ? "event: must be a non-empty string of at most 100 bytes"
                      : "event: required for a track call, the event's name such as \"review\"";
        return 0;
    }
    if (props && !cJSON_IsNull(props) && !cJSON_IsObject(props)) {
        it->skip = "properties: must be an object";
        return 0;
    }
    it->ev.name = seg_event_name(r, it->ev.name);
    if (!it->ev.name)
        return TREU_ENOMEM;
    it->ev.source_id = seg_text(obj, "messageId", EVENT_SOURCE_ID_BYTES_MAX);
    if (mid && !cJSON_IsNull(mid) && !it->ev.source_id) {
        it->skip = "messageId: must be a non-empty string of at most 255 bytes";
        return 0;
    }
    if (cJSON_IsObject(props)) {
        it->ev.metadata = (cJSON *)props;
        it->ev.metadata_json = req_json_text(r, props);
        if (!it->ev.metadata_json)
            return TREU_ENOMEM;
    }
    return 0;
}

/* Reads one call into `it`. Sets it->skip for a call treu cannot use; returns a negative
 * TREU_E* only when out of memory. */
static int seg_item_read(struct request *r, const cJSON *obj, struct seg_item *it)
{
    customers_patch_init(&it->patch);
    if (it->type != SEG_IDENTIFY && it->type != SEG_TRACK)
        return 0; /* accepted and ignored */
    int rc = seg_ids(r, obj, it);
    if (rc < 0 || it->skip)
        return rc;
    return it->type == SEG_IDENTIFY ? seg_traits(r, obj, it) : seg_track(r, obj, it);
}

/* ---- the writer side ---- */

/* The customer's metadata with the unmapped traits merged in (existing keys replaced,
 * others kept). *out NULL when there is nothing to merge. TREU_ELIMIT when the result
 * would be larger than customers allow. */
static int seg_metadata_merge(const char *old_json, const cJSON *traits, struct arena *a,
                              const char **out)
{
    *out = NULL;
    bool any = false;
    for (const cJSON *t = traits ? traits->child : NULL; t; t = t->next)
        any |= !seg_is_mapped(t->string);
    if (!any)
        return 0;
    cJSON *m = old_json ? cJSON_Parse(old_json) : NULL;
    if (!cJSON_IsObject(m)) {
        cJSON_Delete(m);
        m = cJSON_CreateObject();
    }
    int rc = m ? 0 : TREU_ENOMEM;
    for (const cJSON *t = traits->child; t && rc == 0; t = t->next) {
        if (seg_is_mapped(t->string))
            continue;
        cJSON *dup = cJSON_Duplicate(t, true);
        if (!dup)
            rc = TREU_ENOMEM;
        else if (cJSON_GetObjectItemCaseSensitive(m, t->string))
            cJSON_ReplaceItemInObjectCaseSensitive(m, t->string, dup);
        else
            cJSON_AddItemToObject(m, t->string, dup);
    }
    struct buf b;
    buf_init(&b, CUSTOMER_METADATA_BYTES_MAX);
    if (rc == 0)
        rc = json_write_item(&b, m);
    if (rc == 0) {
        *out = arena_strndup(a, b.ptr, b.len);
        rc = *out ? 0 : TREU_ENOMEM;
    }
    buf_cleanup(&b);
    cJSON_Delete(m);
    return rc;
}

/* The customer the item is about: the one whose source_id is its userId; else the one
 * kept for its anonymousId, which from now on carries the userId; else a new one.
 * identify writes its fields. Sets it->skip when the merged metadata would be too big. */
static int seg_customer(const struct writer_tx *tx, struct request *r, struct seg_item *it,
                        struct arena *a, struct customer *cu)
{
    const char *pid = r->project_id;
    int rc = store_customer_get_by_source(tx->conn, pid, it->source_id, a, cu);
    bool adopt = false;
    if (rc == TREU_ENOTFOUND && it->anon_source_id) {
        rc = store_customer_get_by_source(tx->conn, pid, it->anon_source_id, a, cu);
        adopt = rc == 0;
    }
    bool found = rc == 0;
    if (rc < 0 && rc != TREU_ENOTFOUND)
        return rc;
    if (it->type == SEG_IDENTIFY) {
        rc = seg_metadata_merge(found ? cu->metadata_json : NULL, it->traits, a,
                                &it->patch.metadata_json.v);
        if (rc == TREU_ELIMIT) {
            it->skip = "traits: the customer's metadata would be larger than 16384 bytes";
            return 0;
        }
        if (rc < 0)
            return rc;
        it->patch.metadata_json.set = it->patch.metadata_json.v != NULL;
    }
    if (found && it->type == SEG_TRACK && !adopt)
        return 0;
    enum customer_result res;
    char id[IDS_MAX_LEN];
    memcpy(id, cu->id, sizeof id); /* cu is also the output */
    if (found)
        rc = customers_update(tx, pid, id, &it->patch, a, cu, &res);
    else
        rc = customers_upsert(tx, pid, &it->patch, a, cu, &res);
    if (rc == 0 && res != CUSTOMER_CREATED && res != CUSTOMER_UPDATED)
        it->skip = "userId: another customer of this project has it as source_id";
    return rc;
}

/* Applies one item; for a single call, its answer goes to `answer`. */
static int seg_item_apply(const struct writer_tx *tx, struct request *r, struct seg_item *it,
                          struct arena *a, struct buf *answer)
{
    struct customer cu;
    int rc = seg_customer(tx, r, it, a, &cu);
    if (rc < 0 || it->skip)
        return rc;
    if (it->type == SEG_TRACK) {
        int status = 0;
        it->ev.customer.ref = cu.id;
        rc = api_event_apply(tx, r, &it->ev, a, &status, answer);
        if (rc == 0 && status >= 400)
            it->skip = "the event could not be recorded";
        return rc;
    }
    struct jw w;
    jw_init(&w, answer);
    api_customer_render(&w, &cu);
    return 0;
}

static void seg_render_ignored(struct jw *w, const struct seg_item *it)
{
    if (it->type != SEG_IDENTIFY)
        return;
    jw_key(w, "ignored_traits");
    jw_arr_open(w);
    for (int i = 0; i < it->nignored; i++)
        jw_str(w, it->ignored[i]);
    jw_arr_close(w);
}

/* The answer: {"success": true}, as Segment's, with what treu did as added fields. */
static void seg_render(struct seg_cmd *sc, struct buf *body, struct buf *one)
{
    struct jw w;
    jw_init(&w, body);
    jw_obj_open(&w);
    jw_kv_bool(&w, "success", true);
    if (!sc->batch) {
        const struct seg_item *it = &sc->items[0];
        if (it->type == SEG_IDENTIFY || it->type == SEG_TRACK)
            jw_kv_raw(&w, it->type == SEG_IDENTIFY ? "customer" : "event", buf_cstr(one));
        seg_render_ignored(&w, it);
        jw_obj_close(&w);
        return;
    }
    jw_key(&w, "skipped");
    jw_arr_open(&w);
    for (size_t i = 0; i < sc->n; i++) {
        const struct seg_item *it = &sc->items[i];
        if (!it->skip)
            continue;
        jw_obj_open(&w);
        jw_kv_int(&w, "index", (int64_t)i);
        jw_kv_str(&w, "type", seg_types[it->type]);
        jw_kv_str(&w, "message", it->skip);
        jw_obj_close(&w);
    }
    jw_arr_close(&w);
    jw_obj_close(&w);
}

static int seg_apply(struct command *cmd, const struct writer_tx *tx)
{
    struct seg_cmd *sc = cmd->input;
    struct request *r = sc->r;
    struct buf one;
    buf_init(&one, RESPONSE_BYTES_MAX);
    int rc = 0;
    cmd->status = 0;
    for (size_t i = 0; i < sc->n && rc == 0; i++) {
        struct seg_item *it = &sc->items[i];
        if (it->skip || (it->type != SEG_IDENTIFY && it->type != SEG_TRACK))
            continue;
        struct arena a;
        arena_init(&a, SEGMENT_ITEM_ARENA_BYTES_MAX);
        buf_reset(&one);
        rc = seg_item_apply(tx, r, it, &a, &one);
        if (rc == 0 && one.err)
            rc = one.err;
        if (rc == 0 && !sc->batch && !it->skip) {
            /* The single call's answer outlives the item's arena: copy it first. */
            seg_render(sc, &cmd->body, &one);
            cmd->status = 200;
        }
        arena_cleanup(&a);
    }
    if (rc == 0 && !sc->batch && sc->items[0].skip) {
        cmd->status = 400;
        api_error_body(&cmd->body, 400, "invalid_param", "Invalid call", sc->items[0].skip,
                       r->request_id);
    } else if (rc == 0 && (sc->batch || !cmd->status)) {
        seg_render(sc, &cmd->body, &one);
        cmd->status = 200;
    }
    buf_cleanup(&one);
    return rc;
}

/* ---- handlers ---- */

static struct seg_cmd *seg_cmd_new(struct request *r, size_t n, bool batch)
{
    struct seg_cmd *sc = arena_zalloc(&r->arena, sizeof *sc);
    struct seg_item *items = sc ? arena_zalloc(&r->arena, (n ? n : 1) * sizeof *items) : NULL;
    if (!items) {
        reply_op_error(r, TREU_ENOMEM);
        return NULL;
    }
    sc->r = r;
    sc->items = items;
    sc->n = n;
    sc->batch = batch;
    return sc;
}

static void seg_submit(struct request *r, struct seg_cmd *sc)
{
    r->cmd.apply = seg_apply;
    r->cmd.input = sc;
    api_submit(r);
}

static void seg_single(struct request *r, enum seg_type type)
{
    cJSON *body;
    if (r->body.len > SEGMENT_CALL_BYTES_MAX) {
        reply_error(r, 400, "payload_too_large", "Payload too large",
                    "a %s call is at most %d bytes", seg_types[type], SEGMENT_CALL_BYTES_MAX);
        return;
    }
    if (req_json_object_or_reply(r, &body) < 0)
        return;
    struct seg_cmd *sc = seg_cmd_new(r, 1, false);
    if (!sc)
        return;
    sc->items[0].type = type;
    int rc = seg_item_read(r, body, &sc->items[0]);
    if (rc < 0) {
        reply_op_error(r, rc);
        return;
    }
    if (sc->items[0].skip) {
        reply_error(r, 400, "invalid_param", "Invalid call", "%s", sc->items[0].skip);
        return;
    }
    if (type != SEG_IDENTIFY && type != SEG_TRACK) {
        buf_puts(&r->out, "{\"success\":true}");
        reply_json(r, 200);
        return;
    }
    seg_submit(r, sc);
}

void api_segment_identify(struct request *r)
{
    seg_single(r, SEG_IDENTIFY);
}

void api_segment_track(struct request *r)
{
    seg_single(r, SEG_TRACK);
}

void api_segment_page(struct request *r)
{
    seg_single(r, SEG_PAGE);
}

void api_segment_screen(struct request *r)
{
    seg_single(r, SEG_SCREEN);
}

void api_segment_group(struct request *r)
{
    seg_single(r, SEG_GROUP);
}

void api_segment_alias(struct request *r)
{
    seg_single(r, SEG_ALIAS);
}

/* A batch item's type and size. -1 after replying 400: an unknown type or an oversized
 * item refuses the whole batch, as malformed input does. */
static int seg_batch_item_or_reply(struct request *r, const cJSON *obj, size_t i,
                                   struct seg_item *it)
{
    if (!cJSON_IsObject(obj)) {
        reply_error(r, 400, "invalid_param", "Invalid batch", "batch[%zu]: must be an object", i);
        return -1;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
    int t = -1;
    for (int k = 0; cJSON_IsString(type) && seg_types[k]; k++) {
        if (strcmp(type->valuestring, seg_types[k]) == 0)
            t = k;
    }
    if (t < 0) {
        reply_error(r, 400, "invalid_param", "Invalid batch",
                    "batch[%zu].type: must be identify, track, page, screen, group or alias", i);
        return -1;
    }
    const char *text = req_json_text(r, obj);
    if (!text) {
        reply_op_error(r, TREU_ENOMEM);
        return -1;
    }
    if (strlen(text) > SEGMENT_CALL_BYTES_MAX) {
        reply_error(r, 400, "payload_too_large", "Payload too large",
                    "batch[%zu]: an item is at most %d bytes", i, SEGMENT_CALL_BYTES_MAX);
        return -1;
    }
    it->type = (enum seg_type)t;
    return 0;
}

void api_segment_batch(struct request *r)
{
    cJSON *body;
    if (r->body.len > SEGMENT_BATCH_BYTES_MAX) {
        reply_error(r, 400, "payload_too_large", "Payload too large", "a batch is at most %d bytes",
                    SEGMENT_BATCH_BYTES_MAX);
        return;
    }
    if (req_json_object_or_reply(r, &body) < 0)
        return;
    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(body, "batch");
    int n = cJSON_IsArray(batch) ? cJSON_GetArraySize(batch) : -1;
    if (n < 0 || n > SEGMENT_BATCH_ITEMS_MAX) {
        reply_error(r, 400, batch ? "invalid_param" : "missing_param", "Invalid batch",
                    "batch: required, an array of at most %d calls", SEGMENT_BATCH_ITEMS_MAX);
        return;
    }
    struct seg_cmd *sc = seg_cmd_new(r, (size_t)n, true);
    if (!sc)
        return;
    size_t i = 0;
    for (const cJSON *obj = batch->child; obj; obj = obj->next, i++) {
        if (seg_batch_item_or_reply(r, obj, i, &sc->items[i]) < 0)
            return;
        int rc = seg_item_read(r, obj, &sc->items[i]);
        if (rc < 0) {
            reply_op_error(r, rc);
            return;
        }
    }
    seg_submit(r, sc);
}

// loyalty-helpers.mjs - shared helpers for the loyalty*.test.mjs files (docs/api.md
// "Loyalty programs", "Members", "Earning rules", "Orders and events"). Not a test file.
import assert from 'node:assert/strict';
import { api, uid, TS_RE } from './harness.mjs';

export const DEFAULT_CHARSET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const CAMP_RE = /^camp_[A-Za-z0-9]+$/;
export const MEMBER_RE = /^v_[A-Za-z0-9]+$/;
export const CUST_RE = /^cust_[A-Za-z0-9]+$/;
export const VTX_RE = /^vtx_[A-Za-z0-9]+$/;
export const LOT_RE = /^lopb_[A-Za-z0-9]+$/;
export const ERN_RE = /^ern_[A-Za-z0-9]+$/;
export const EVT_RE = /^evt_[A-Za-z0-9]+$/;
export const DAY_MS = 86_400_000;

export const enc = encodeURIComponent;

/* Asserts status, key and the documented error shape; `field` (a string or several) must
 * appear in details. */
export function assertError(r, status, key, field) {
  const ctx = `expected ${status} ${key}${field ? ` naming ${field}` : ''}: got ${r.status} ${r.text}`;
  assert.equal(r.status, status, ctx);
  const b = r.json;
  assert.ok(b && typeof b === 'object' && !Array.isArray(b), ctx);
  for (const f of ['code', 'key', 'message', 'details', 'request_id']) {
    assert.ok(Object.hasOwn(b, f), `error body has ${f}: ${r.text}`);
  }
  assert.equal(b.code, status, ctx);
  assert.equal(b.key, key, ctx);
  assert.equal(b.request_id, r.headers['x-request-id'], 'request_id equals X-Request-Id');
  for (const fl of field === undefined ? [] : [field].flat()) {
    assert.equal(typeof b.details, 'string', `details is a string: ${r.text}`);
    assert.ok(b.details.includes(fl), `details names "${fl}": ${b.details}`);
  }
  return b;
}

/* POST /v1/loyalties; asserts 201; returns the program. */
export async function createProgram(t, extra = {}, opts = {}) {
  const body = { name: uid('prog'), ...extra };
  const r = await api(t, 'POST', '/v1/loyalties', { body, ...opts });
  assert.equal(r.status, 201, `create program ${JSON.stringify(body)}: ${r.text}`);
  assert.match(r.json.id, CAMP_RE);
  return r.json;
}

/* POST /v1/loyalties/{p}/members; asserts the status (201 by default); returns the member. */
export async function enroll(t, programId, customer, status = 201, opts = {}) {
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/members`, { body: { customer }, ...opts });
  assert.equal(r.status, status, `enroll ${JSON.stringify(customer)} in ${programId}: ${r.text}`);
  return r.json;
}

/* A fresh customer (by object, so it is created) enrolled in every program given. */
export async function newMember(t, programIds, customerExtra = {}) {
  const sid = uid('cust');
  const ids = [programIds].flat();
  const members = [];
  for (const pid of ids) members.push(await enroll(t, pid, { source_id: sid, ...customerExtra }));
  return { sid, member: members[0], members, customerId: members[0].holder_id };
}

/* The documented invariant: points = balance + pending + subtracted + expired. */
export function assertInvariant(lc, ctx = '') {
  assert.ok(lc && typeof lc === 'object', `loyalty_card present ${ctx}`);
  for (const f of ['points', 'balance', 'pending_points', 'subtracted_points', 'expired_points']) {
    assert.ok(Number.isInteger(lc[f]), `loyalty_card.${f} is an integer ${ctx}: ${JSON.stringify(lc)}`);
  }
  assert.equal(lc.points, lc.balance + lc.pending_points + lc.subtracted_points + lc.expired_points,
    `points = balance + pending_points + subtracted_points + expired_points ${ctx}: ${JSON.stringify(lc)}`);
}

/* GET /v1/loyalties/members/{id}; asserts 200 and the invariants; returns the member.
 * Besides points = balance + pending + subtracted + expired (docs/api.md "Members"), the
 * ledger's lot invariants (DESIGN.md "The ledger"): the balance equals the points left in
 * the active lots (none while the balance is negative), pending equals the pending lots. */
export async function getMember(t, memberId, ctx = '') {
  const r = await api(t, 'GET', `/v1/loyalties/members/${enc(memberId)}`);
  assert.equal(r.status, 200, `get member ${memberId}: ${r.text}`);
  const lc = r.json.loyalty_card;
  assertInvariant(lc, ctx);
  const ls = await lots(t, memberId);
  const sum = (st) => ls.filter((l) => l.status === st).reduce((a, l) => a + l.points, 0);
  assert.equal(sum('ACTIVE'), Math.max(lc.balance, 0), `balance = points left in active lots ${ctx}: ${JSON.stringify(lc)} ${JSON.stringify(ls)}`);
  assert.equal(sum('PENDING'), lc.pending_points, `pending_points = points in pending lots ${ctx}: ${JSON.stringify(lc)} ${JSON.stringify(ls)}`);
  return r.json;
}

/* Asserts a member's loyalty_card numbers (only those given) and the invariant. */
export async function expectCard(t, memberId, want, ctx = '') {
  const m = await getMember(t, memberId, ctx);
  for (const [k, v] of Object.entries(want)) {
    assert.deepEqual(m.loyalty_card[k], v, `loyalty_card.${k} ${ctx}: ${JSON.stringify(m.loyalty_card)}`);
  }
  return m;
}

/* POST …/members/{id}/balance (through the program path). */
export async function balance(t, programId, memberId, points, reason, opts = {}) {
  const body = reason === undefined ? { points } : { points, reason };
  return api(t, 'POST', `/v1/loyalties/${enc(programId)}/members/${enc(memberId)}/balance`, { body, ...opts });
}

export async function transactions(t, memberId, query = 'limit=100') {
  const r = await api(t, 'GET', `/v1/loyalties/members/${enc(memberId)}/transactions?${query}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.data_ref, 'data');
  assert.ok(Array.isArray(r.json.data), r.text);
  return r.json;
}

export async function lots(t, memberId) {
  const r = await api(t, 'GET', `/v1/loyalties/members/${enc(memberId)}/points-expiration?limit=100`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.data_ref, 'data');
  assert.ok(Array.isArray(r.json.data), r.text);
  for (const l of r.json.data) {
    assert.match(l.id, LOT_RE);
    assert.equal(l.object, 'loyalty_points_bucket');
    assert.ok(['ACTIVE', 'PENDING'].includes(l.status), `lot status: ${JSON.stringify(l)}`);
    assert.ok(Number.isInteger(l.points) && l.points > 0, `a listed lot still holds points: ${JSON.stringify(l)}`);
    assert.match(l.created_at, TS_RE);
    if (l.expires_at !== null) assert.match(l.expires_at, TS_RE);
    if (l.release_at !== null) assert.match(l.release_at, TS_RE);
  }
  return r.json.data;
}

/* POST …/earning-rules with an array; asserts 201; returns the created rules. */
export async function createRules(t, programId, rules) {
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/earning-rules`, { body: rules });
  assert.equal(r.status, 201, `create rules ${JSON.stringify(rules)}: ${r.text}`);
  assert.ok(Array.isArray(r.json), `answer is an array: ${r.text}`);
  assert.equal(r.json.length, rules.length);
  return r.json;
}

/* Asserts the shape of a ledger entry (a transaction). */
export function assertEntry(e, ctx = '') {
  assert.match(e.id, VTX_RE, ctx);
  assert.ok(['POINTS_ACCRUAL', 'POINTS_ADDITION', 'POINTS_REMOVAL', 'POINTS_EXPIRATION',
    'POINTS_PENDING_ACTIVATION'].includes(e.type), `entry type ${ctx}: ${JSON.stringify(e)}`);
  assert.ok(Number.isInteger(e.points), ctx);
  assert.ok(Number.isInteger(e.balance_after), ctx);
  assert.ok(e.details && typeof e.details === 'object', `details ${ctx}: ${JSON.stringify(e)}`);
  assert.equal(e.object, 'loyalty_card_transaction', ctx);
  assert.match(e.created_at, TS_RE, ctx);
}

/* ---- time zones (Intl) ---- */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/* The civil time of instant ms in timeZone; weekday 0 = Sunday. */
export function zoneParts(ms, timeZone) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
    hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
  });
  const o = {};
  for (const p of f.formatToParts(new Date(ms))) o[p.type] = p.value;
  return { year: +o.year, month: +o.month, day: +o.day, hour: +o.hour % 24, minute: +o.minute,
    second: +o.second, weekday: WEEKDAYS.indexOf(o.weekday) };
}

function offsetMs(ms, timeZone) {
  const p = zoneParts(ms, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}

/* The UTC instant (ms) of local midnight starting y-m-d in timeZone. */
export function zonedMidnight(y, m, d, timeZone) {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - offsetMs(guess, timeZone);
  t = guess - offsetMs(t, timeZone);
  return t;
}

/* "N months from the month of nowMs, at the end of that month" in timeZone, rendered like
 * treu renders timestamps (milliseconds): the first instant of the following month − 1 ms. */
export function endOfMonthIn(nowMs, timeZone, addMonths) {
  const p = zoneParts(nowMs, timeZone);
  const idx = p.year * 12 + (p.month - 1) + addMonths + 1; // the month after the target month
  const y = Math.floor(idx / 12);
  const m = (idx % 12) + 1;
  return new Date(zonedMidnight(y, m, 1, timeZone) - 1).toISOString();
}

/* Milliseconds until the next local midnight in timeZone. */
export function msToLocalMidnight(nowMs, timeZone) {
  const p = zoneParts(nowMs, timeZone);
  return ((23 - p.hour) * 3600 + (59 - p.minute) * 60 + (60 - p.second)) * 1000;
}

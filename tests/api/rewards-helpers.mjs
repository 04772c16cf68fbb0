// rewards-helpers.mjs - shared helpers for the rewards-*.test.mjs files (docs/api.md
// "Rewards"). Not a test file.
import assert from 'node:assert/strict';
import { api, uid } from './harness.mjs';

export const REW_RE = /^rew_[A-Za-z0-9]+$/;
export const REWA_RE = /^rewa_[A-Za-z0-9]+$/;
export const RED_RE = /^r_[A-Za-z0-9]+$/;
export const RR_RE = /^rr_[A-Za-z0-9]+$/;
export const enc = encodeURIComponent;

/* POST /v1/rewards; asserts 201; returns the reward. */
export async function createReward(t, body, opts = {}) {
  const r = await api(t, 'POST', '/v1/rewards', { body: { name: uid('reward'), ...body }, ...opts });
  assert.equal(r.status, 201, `create reward ${JSON.stringify(body)}: ${r.text}`);
  assert.match(r.json.id, REW_RE);
  assert.equal(r.json.object, 'reward');
  return r.json;
}

export const material = (extra = {}) => ({ type: 'MATERIAL', parameters: { product: { id: 'prod_mug', sku: 'mug-red' } }, ...extra });

/* POST /v1/loyalties/{p}/rewards; asserts 201; returns the assignment. */
export async function assign(t, programId, rewardId, points, extra = {}, opts = {}) {
  const body = { reward: rewardId, ...extra };
  if (points !== undefined) body.parameters = { loyalty: { points } };
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/rewards`, { body, ...opts });
  assert.equal(r.status, 201, `assign ${rewardId} to ${programId}: ${r.text}`);
  assert.match(r.json.id, REWA_RE);
  return r.json;
}

/* POST …/members/{m}/redemption (through the program path unless programId is null). */
export function redeem(t, programId, memberId, body, opts = {}) {
  const path = programId ? `/v1/loyalties/${enc(programId)}/members/${enc(memberId)}/redemption`
    : `/v1/loyalties/members/${enc(memberId)}/redemption`;
  return api(t, 'POST', path, { body, ...opts });
}

/* A program and one member with `points`; customer fields from `customer`. */
export async function programWithMember(t, points = 0, customer = {}, program = {}) {
  const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('prog'), ...program } })).json;
  assert.ok(p && p.id, 'program created');
  const m = await addMember(t, p.id, points, customer);
  return { p, m };
}

export async function addMember(t, programId, points = 0, customer = {}, opts = {}) {
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/members`, { body: { customer: { source_id: uid('cust'), ...customer } }, ...opts });
  assert.equal(r.status, 201, r.text);
  if (points > 0) {
    const b = await api(t, 'POST', `/v1/loyalties/members/${enc(r.json.id)}/balance`, { body: { points }, ...opts });
    assert.equal(b.status, 200, b.text);
  }
  return r.json;
}

export async function card(t, memberId, opts = {}) {
  const r = await api(t, 'GET', `/v1/loyalties/members/${enc(memberId)}`, opts);
  assert.equal(r.status, 200, r.text);
  const c = r.json.loyalty_card;
  assert.equal(c.points, c.balance + c.pending_points + c.subtracted_points + c.expired_points, JSON.stringify(c));
  return c;
}

export async function memberRewards(t, memberId, query = '') {
  const r = await api(t, 'GET', `/v1/loyalties/members/${enc(memberId)}/rewards?limit=100${query}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.data_ref, 'data');
  for (const it of r.json.data) assert.equal(it.object, 'loyalty_reward');
  return r.json.data;
}

export function assertErr(r, status, key, detail) {
  assert.equal(r.status, status, `expected ${status} ${key}: ${r.status} ${r.text}`);
  assert.equal(r.json.code, status, r.text);
  assert.equal(r.json.key, key, r.text);
  assert.equal(typeof r.json.message, 'string');
  assert.ok(r.json.request_id, r.text);
  if (detail) assert.ok(r.json.details.includes(detail), `details name ${detail}: ${r.json.details}`);
  return r.json;
}

export async function clock(t, seconds) {
  const r = await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: seconds } });
  assert.equal(r.status, 200, r.text);
}

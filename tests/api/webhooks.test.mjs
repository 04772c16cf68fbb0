// webhooks.test.mjs - /v1/webhooks and delivery (docs/api.md "Webhooks"): a local receiver
// verifies every signature; events arrive for earning, tier moves and expiry with the
// documented payload; a receiver that fails for a while gets every event afterwards, in
// order; a restart loses nothing; filtering, redelivery, rotation, a failing command,
// bad input and another project's webhooks.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { startTreu, api, uid, createProject, sleep, TS_RE } from './harness.mjs';
import { assertError, createProgram, newMember, createRules, enc } from './loyalty-helpers.mjs';
import { createReward, assign, redeem, programWithMember } from './rewards-helpers.mjs';
import { campaign as vcampaign, redeem as vredeem } from './vouchers-helpers.mjs';

const WH_RE = /^wh_[A-Za-z0-9]+$/;
const WHEVT_RE = /^whevt_[A-Za-z0-9]+$/;
const WHDL_RE = /^whdl_[A-Za-z0-9]+$/;
const HOUR = 3600;

/* A local endpoint. Every request is checked against the secrets in `secrets`; `mode`
 * decides the answer: 'ok' (200), 'fail' (500). `failNext` answers 500 that many times
 * first. Accepted events are kept in arrival order. */
async function receiver(port = 0) {
  const rx = { secrets: [], mode: 'ok', failNext: 0, requests: [], events: [], badSignatures: 0 };
  rx.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const sig = req.headers['x-treu-signature'];
      const good = rx.secrets.some((s) => crypto.createHmac('sha256', s).update(raw).digest('hex') === sig);
      if (!good) rx.badSignatures += 1;
      const entry = { headers: req.headers, raw: raw.toString('utf8'), good };
      rx.requests.push(entry);
      if (rx.failNext > 0 || rx.mode === 'fail') {
        if (rx.failNext > 0) rx.failNext -= 1;
        res.writeHead(500).end('not now');
        return;
      }
      rx.events.push({ ...JSON.parse(entry.raw), headers: req.headers });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((r) => rx.server.listen(port, '127.0.0.1', r));
  rx.port = rx.server.address().port;
  rx.url = `http://127.0.0.1:${rx.port}/hooks`;
  rx.close = () => new Promise((r) => { rx.server.closeAllConnections?.(); rx.server.close(() => r()); });
  return rx;
}

async function waitFor(what, fn, ms = 15000) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const advance = (t, seconds) => api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: seconds } });

async function createWebhook(t, body, opts = {}) {
  const r = await api(t, 'POST', '/v1/webhooks', { body, ...opts });
  assert.equal(r.status, 201, `create webhook ${JSON.stringify(body)}: ${r.text}`);
  return r.json;
}

async function deliveries(t, whId, query = 'limit=100') {
  const r = await api(t, 'GET', `/v1/webhooks/${enc(whId)}/deliveries?${query}`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.object, 'list');
  assert.equal(r.json.data_ref, 'deliveries');
  return r.json.deliveries;
}

/* Balance additions on one card: each one event "voucher.loyalty_card.points_added". */
async function addPoints(t, programId, memberId, points) {
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/members/${enc(memberId)}/balance`, { body: { points } });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

describe('webhooks: endpoints', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create, get, list, update, rotate the secret, delete', async () => {
    const w = await createWebhook(t, { url: 'https://shop.example/hooks', events: ['customer.loyalty.tier.joined'], description: 'crm' });
    assert.match(w.id, WH_RE);
    assert.equal(w.object, 'webhook');
    assert.equal(w.url, 'https://shop.example/hooks');
    assert.deepEqual(w.events, ['customer.loyalty.tier.joined']);
    assert.equal(w.description, 'crm');
    assert.equal(w.active, true);
    assert.match(w.secret, /^[0-9a-f]{64}$/);
    assert.match(w.created_at, TS_RE);
    const g = await api(t, 'GET', `/v1/webhooks/${w.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, w);
    const u = await api(t, 'PUT', `/v1/webhooks/${w.id}`, { body: { events: ['*'], active: false } });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual(u.json.events, ['*']);
    assert.equal(u.json.active, false);
    assert.equal(u.json.url, w.url, 'fields not given stay');
    assert.equal(u.json.secret, w.secret);
    const s = await api(t, 'POST', `/v1/webhooks/${w.id}/secret`);
    assert.equal(s.status, 200, s.text);
    assert.match(s.json.secret, /^[0-9a-f]{64}$/);
    assert.notEqual(s.json.secret, w.secret);
    const l = await api(t, 'GET', '/v1/webhooks');
    assert.equal(l.status, 200);
    assert.equal(l.json.object, 'list');
    assert.ok(l.json.data.some((x) => x.id === w.id));
    assert.equal((await api(t, 'DELETE', `/v1/webhooks/${w.id}`)).status, 204);
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}`), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/webhooks/${w.id}`), 404, 'not_found');
  });

  test('bad input is refused with a 400 naming the field, and nothing is created', async () => {
    const before = (await api(t, 'GET', '/v1/webhooks?limit=100')).json.total;
    const bad = [
      [{ events: ['*'] }, 'missing_param', 'url'],
      [{ url: 'ftp://x.example/', events: ['*'] }, 'invalid_param', 'url'],
      [{ url: 'https://user:pw@x.example/', events: ['*'] }, 'invalid_param', 'credentials'],
      [{ url: 'https:///nohost', events: ['*'] }, 'invalid_param', 'host'],
      [{ url: 'https://x.example/a b', events: ['*'] }, 'invalid_param', 'url'],
      [{ url: `https://x.example/${'a'.repeat(2100)}`, events: ['*'] }, 'invalid_param', 'url'],
      [{ url: 42, events: ['*'] }, 'invalid_param', 'url'],
      [{ url: 'https://x.example/' }, 'missing_param', 'events'],
      [{ url: 'https://x.example/', events: [] }, 'invalid_param', 'events'],
      [{ url: 'https://x.example/', events: 'customer.loyalty.tier.joined' }, 'invalid_param', 'events'],
      [{ url: 'https://x.example/', events: ['no.such.event'] }, 'invalid_param', 'events[0]'],
      [{ url: 'https://x.example/', events: ['*', 'customer.loyalty.tier.joined'] }, 'invalid_param', 'events[0]'],
      [{ url: 'https://x.example/', events: ['customer.loyalty.tier.joined', 'customer.loyalty.tier.joined'] }, 'invalid_param', 'events[1]'],
      [{ url: 'https://x.example/', events: [7] }, 'invalid_param', 'events[0]'],
      [{ url: 'https://x.example/', events: ['*'], active: 'yes' }, 'invalid_param', 'active'],
      [{ url: 'https://x.example/', events: ['*'], color: 'red' }, 'invalid_param', 'color'],
    ];
    for (const [body, key, field] of bad) {
      assertError(await api(t, 'POST', '/v1/webhooks', { body }), 400, key, field);
    }
    assertError(await api(t, 'POST', '/v1/webhooks', { raw: '{"url":' }), 400, 'invalid_json');
    assert.equal((await api(t, 'GET', '/v1/webhooks?limit=100')).json.total, before);
    const w = await createWebhook(t, { url: 'https://x.example/', events: ['*'] });
    assertError(await api(t, 'PUT', `/v1/webhooks/${w.id}`, { body: { url: 'gopher://x' } }), 400, 'invalid_param', 'url');
    assertError(await api(t, 'PUT', '/v1/webhooks/wh_nope', { body: { active: false } }), 404, 'not_found');
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}/deliveries?status=LOST`), 400, 'invalid_param', 'status');
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}/deliveries?limit=0`), 400, 'invalid_query', 'limit');
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}/deliveries/whdl_nope`), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/webhooks/${w.id}/deliveries/whdl_nope/redeliver`), 404, 'not_found');
    assert.equal((await api(t, 'GET', `/v1/webhooks/${w.id}`)).json.url, 'https://x.example/');
    assert.equal((await api(t, 'DELETE', `/v1/webhooks/${w.id}`)).status, 204);
  });

  test('at most 16 endpoints per project', async () => {
    const made = [];
    const have = (await api(t, 'GET', '/v1/webhooks?limit=100')).json.total;
    for (let i = have; i < 16; i++) made.push(await createWebhook(t, { url: `https://x.example/${i}`, events: ['*'] }));
    assertError(await api(t, 'POST', '/v1/webhooks', { body: { url: 'https://x.example/17', events: ['*'] } }), 400, 'limit_exceeded');
    for (const w of made) assert.equal((await api(t, 'DELETE', `/v1/webhooks/${w.id}`)).status, 204);
  });

  test("another project's webhooks are invisible and untouchable", async () => {
    const other = await createProject(t.dataDir, 'other');
    const w = await createWebhook(t, { url: 'https://x.example/', events: ['*'] });
    const mine = await createWebhook(t, { url: 'https://y.example/', events: ['*'] }, { project: other });
    const list = await api(t, 'GET', '/v1/webhooks?limit=100', { project: other });
    assert.deepEqual(list.json.data.map((x) => x.id), [mine.id]);
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}`, { project: other }), 404, 'not_found');
    assertError(await api(t, 'PUT', `/v1/webhooks/${w.id}`, { project: other, body: { active: false } }), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/webhooks/${w.id}`, { project: other }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/webhooks/${w.id}/secret`, { project: other }), 404, 'not_found');
    assertError(await api(t, 'GET', `/v1/webhooks/${w.id}/deliveries`, { project: other }), 404, 'not_found');
    assert.equal((await api(t, 'GET', `/v1/webhooks/${w.id}`)).json.active, true);
    assertError(await api(t, 'GET', '/v1/webhooks', { keys: 'client' }), 403, 'forbidden');
    await api(t, 'DELETE', `/v1/webhooks/${w.id}`);
  });
});

describe('webhooks: delivery', () => {
  let t, all, tiersOnly, rxAll, rxTier;
  before(async () => {
    t = await startTreu({ testClock: true });
    rxAll = await receiver();
    rxTier = await receiver();
    all = await createWebhook(t, { url: rxAll.url, events: ['*'] });
    tiersOnly = await createWebhook(t, { url: rxTier.url, events: ['customer.loyalty.tier.joined'] });
    rxAll.secrets.push(all.secret);
    rxTier.secrets.push(tiersOnly.secret);
  });
  after(async () => {
    await t?.stop();
    await rxAll?.close();
    await rxTier?.close();
  });

  test('earning, a tier move and expiry arrive signed, with the documented payload; filters hold', async () => {
    const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 30 } } } });
    const tr = await api(t, 'POST', `/v1/loyalties/${p.id}/tiers`, { body: [{ name: 'Silver', points: { from: 100, to: null } }] });
    assert.equal(tr.status, 201, tr.text);
    const [rule] = await createRules(t, p.id, [{ event: 'review', loyalty: { type: 'FIXED', points: 150 } }]);
    const { member: m, sid, customerId } = await newMember(t, p.id);
    const ev = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: { source_id: sid } } });
    assert.equal(ev.status, 201, ev.text);
    const n0 = rxAll.events.length;
    const mine = () => rxAll.events.filter((e) => e.data.member?.id === m.id);
    await waitFor('the accrual and the tier event', () => mine().length >= 2);
    const earned = mine().find((e) => e.type === 'customer.rewarded.loyalty_points');
    assert.ok(earned, JSON.stringify(mine()));
    assert.match(earned.id, WHEVT_RE);
    assert.equal(earned.object, 'event');
    assert.match(earned.created_at, TS_RE);
    assert.equal(earned.headers['content-type'], 'application/json');
    assert.equal(earned.headers['x-treu-event-id'], earned.id);
    assert.equal(earned.headers['x-treu-delivery-attempt'], '1');
    assert.match(earned.headers['x-treu-delivery-id'], WHDL_RE);
    const d = earned.data;
    assert.equal(d.customer_id, customerId);
    assert.equal(d.program_id, p.id);
    assert.equal(d.member.id, m.id);
    assert.equal(d.member.code, m.code);
    assert.equal(d.member.balance, 150);
    assert.equal(d.entry.type, 'POINTS_ACCRUAL');
    assert.equal(d.entry.points, 150);
    assert.equal(d.entry.balance_after, 150);
    assert.equal(d.entry.rule_id, rule.id);
    assert.equal(d.entry.event_name, 'review');
    assert.equal(d.entry.event_id, ev.json.id);
    assert.match(d.entry.id, /^vtx_/);
    const joined = mine().find((e) => e.type === 'customer.loyalty.tier.joined');
    assert.equal(joined.data.tier.name, 'Silver');
    assert.equal(joined.data.tier.id, tr.json[0].id);
    await waitFor('the tier-only endpoint', () => rxTier.events.some((e) => e.data.member?.id === m.id));
    assert.ok(rxTier.events.every((e) => e.type === 'customer.loyalty.tier.joined'), 'the filtered endpoint gets only its type');

    await addPoints(t, p.id, m.id, 10);
    await waitFor('points_added', () => mine().some((e) => e.type === 'voucher.loyalty_card.points_added'));
    const added = mine().find((e) => e.type === 'voucher.loyalty_card.points_added');
    assert.deepEqual([added.data.entry.points, added.data.entry.balance_after, added.data.entry.type], [10, 160, 'POINTS_ADDITION']);

    assert.equal((await advance(t, 31 * 86400)).status, 200);
    await waitFor('expiry and leaving the tier', () => mine().some((e) => e.type === 'customer.loyalty.tier.left') &&
      mine().filter((e) => e.type === 'customer.voucher.loyalty_card.points_expired').length === 2);
    const expired = mine().filter((e) => e.type === 'customer.voucher.loyalty_card.points_expired');
    assert.deepEqual(expired.map((e) => e.data.entry.points).sort((a, b) => a - b), [-150, -10]);
    assert.equal(mine().find((e) => e.type === 'customer.loyalty.tier.left').data.tier.name, 'Silver');
    // Every request was signed with the endpoint's secret; ids are unique; the filtered
    // endpoint saw no other type.
    assert.equal(rxAll.badSignatures, 0);
    assert.equal(rxTier.badSignatures, 0);
    const ids = rxAll.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'each event id arrives once here');
    assert.ok(rxAll.events.length > n0);
    // Arrival order is queue order for one endpoint: X-Treu-Delivery-Seq only grows.
    const seqs = rxAll.events.map((e) => Number(e.headers['x-treu-delivery-seq']));
    assert.ok(seqs.every((x, i) => Number.isInteger(x) && (i === 0 || x > seqs[i - 1])), `seq grows: ${seqs}`);
    assert.deepEqual(mine().map((e) => e.type).slice(0, 2), ['customer.rewarded.loyalty_points', 'customer.loyalty.tier.joined'],
      'the accrual that moved the member comes before the tier event');
    const log = await deliveries(t, all.id, 'status=DELIVERED&limit=100');
    assert.ok(log.length >= mine().length);
    for (const x of log) {
      assert.equal(x.status, 'DELIVERED');
      assert.equal(x.last_status_code, 200);
      assert.equal(x.next_attempt_at, null);
    }
  });

  test('a CUSTOM reward redeemed, delivered and rolled back raises reward redemption events', async () => {
    const rx = await receiver();
    try {
      const w = await createWebhook(t, { url: rx.url, events: ['customer.reward_redemptions.created',
        'customer.reward_redemptions.completed', 'customer.reward_redemptions.rolledback'] });
      rx.secrets.push(w.secret);
      const { p, m } = await programWithMember(t, 100);
      const rw = await createReward(t, { type: 'CUSTOM', parameters: { custom: { kind: 'ticket' } } });
      await assign(t, p.id, rw.id, 40);
      const red = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
      assert.equal(red.status, 200, red.text);
      const got = await waitFor('the created event', () => rx.events.find((e) => e.type === 'customer.reward_redemptions.created'));
      assert.equal(got.data.id, red.json.id, 'the event carries the redemption as answered');
      assert.equal(got.data.reward.id, rw.id);
      assert.equal(got.data.reward.type, 'CUSTOM');
      const f = await api(t, 'PUT', `/v1/loyalties/${enc(p.id)}/members/${enc(m.id)}/redemptions/${enc(red.json.id)}`, { body: { fulfilment: 'DELIVERED' } });
      assert.equal(f.status, 200, f.text);
      await waitFor('the completed event', () => rx.events.find((e) => e.type === 'customer.reward_redemptions.completed'));
      const rb = await api(t, 'POST', `/v1/redemptions/${enc(red.json.id)}/rollback`);
      assert.equal(rb.status, 200, rb.text);
      const back = await waitFor('the rolledback event', () => rx.events.find((e) => e.type === 'customer.reward_redemptions.rolledback'));
      assert.equal(back.data.id, rb.json.id);
      assert.equal(rx.badSignatures, 0);
      assert.deepEqual(rx.events.map((e) => e.type), ['customer.reward_redemptions.created',
        'customer.reward_redemptions.completed', 'customer.reward_redemptions.rolledback']);
    } finally {
      await rx.close();
    }
  });

  test('publishing, redeeming and rolling back a voucher raise their events', async () => {
    const rx = await receiver();
    try {
      const w = await createWebhook(t, { url: rx.url, events: ['voucher.published', 'redemption.succeeded', 'redemption.rollback.succeeded'] });
      rx.secrets.push(w.secret);
      const cp = await vcampaign(t, { voucher: { discount: { type: 'AMOUNT', amount_off: 700 } } });
      const cust = uid('cust');
      const pub = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: cust }, campaign: { name: cp.name } } });
      assert.equal(pub.status, 200, pub.text);
      const code = pub.json.voucher.code;
      const red = await vredeem(t, code, { customer: { source_id: cust }, order: { amount: 5000 } });
      assert.equal(red.status, 200, red.text);
      const rb = await api(t, 'POST', `/v1/redemptions/${red.json.id}/rollback`);
      assert.equal(rb.status, 200, rb.text);
      await waitFor('three events', () => rx.events.length >= 3);
      assert.deepEqual(rx.events.map((e) => e.type), ['voucher.published', 'redemption.succeeded', 'redemption.rollback.succeeded']);
      const [p, s, b] = rx.events;
      assert.equal(p.data.voucher.code, code);
      assert.equal(p.data.campaign_id, cp.id);
      assert.equal(s.data.id, red.json.id);
      assert.equal(s.data.amount, 700);
      assert.equal(s.data.campaign_id, cp.id);
      assert.equal(b.data.rollback_of, red.json.id);
      assert.equal(b.data.object, 'redemption_rollback');
      assert.equal(rx.badSignatures, 0);
    } finally {
      await rx.close();
    }
  });

  test('a command that fails emits nothing; the same one succeeding emits', async () => {
    const p = await createProgram(t);
    const { member: a } = await newMember(t, p.id);
    const { member: b } = await newMember(t, p.id);
    const { member: c } = await newMember(t, p.id);
    await addPoints(t, p.id, a.id, 50);
    await addPoints(t, p.id, c.id, 5);
    const transferred = async () => (await deliveries(t, all.id)).filter((x) => x.event_type === 'customer.voucher.loyalty_card.points_transferred').length;
    const before = await transferred();
    // The first transfer succeeds inside the command, the second cannot: the whole command
    // is undone, with the events its first half wrote.
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 20 }, { code: c.code, points: 6 }] });
    assert.equal(r.status, 400, r.text);
    assert.equal(await transferred(), before, 'no delivery for an undone command');
    const ok = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 20 }] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(await transferred(), before + 2, 'one event per side of the transfer');
  });

  test('an endpoint that fails for a while receives every event afterwards, in order', async () => {
    const rx = await receiver();
    const w = await createWebhook(t, { url: rx.url, events: ['voucher.loyalty_card.points_added'] });
    rx.secrets.push(w.secret);
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    rx.failNext = 4;
    for (let i = 1; i <= 5; i++) await addPoints(t, p.id, m.id, i);
    await waitFor('the first attempt', () => rx.requests.length >= 1);
    await sleep(300);
    // Only the head of the queue is tried while it fails.
    assert.equal(new Set(rx.requests.map((q) => q.headers['x-treu-event-id'])).size, 1);
    for (let k = 0; k < 12 && rx.events.length < 5; k++) {
      await advance(t, 2 * HOUR);
      await waitFor('an attempt after the clock moved', () => rx.requests.length >= Math.min(k + 2, 9), 5000).catch(() => {});
    }
    await waitFor('all five', () => rx.events.length >= 5);
    assert.deepEqual(rx.events.map((e) => e.data.entry.balance_after), [1, 3, 6, 10, 15], 'in order');
    const seqs = rx.events.map((e) => Number(e.headers['x-treu-delivery-seq']));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(rx.events.map((e) => e.id)).size, 5, 'unique ids');
    assert.equal(rx.badSignatures, 0);
    const first = rx.events[0];
    assert.equal(first.headers['x-treu-delivery-attempt'], '5', 'delivered on the fifth attempt');
    const log = await deliveries(t, w.id);
    assert.equal(log.length, 5);
    assert.ok(log.every((x) => x.status === 'DELIVERED'), JSON.stringify(log));
    const head = log.find((x) => x.event_id === first.id);
    const one = await api(t, 'GET', `/v1/webhooks/${w.id}/deliveries/${head.id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.attempts, 5);
    assert.deepEqual(one.json.attempt_log.map((x) => x.status_code), [500, 500, 500, 500, 200]);
    assert.deepEqual(one.json.attempt_log.map((x) => x.error), ['HTTP 500', 'HTTP 500', 'HTTP 500', 'HTTP 500', null]);
    await rx.close();
    await api(t, 'DELETE', `/v1/webhooks/${w.id}`);
  });

  test('after 24 hours of failures a delivery is FAILED; redeliver sends it again', async () => {
    const rx = await receiver();
    rx.mode = 'fail';
    const w = await createWebhook(t, { url: rx.url, events: ['voucher.loyalty_card.points_added'] });
    rx.secrets.push(w.secret);
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    await addPoints(t, p.id, m.id, 7);
    await waitFor('the first attempt', () => rx.requests.length >= 1);
    let [d] = await deliveries(t, w.id);
    await waitFor('the attempt recorded', async () => ([d] = await deliveries(t, w.id), d.attempts >= 1));
    assert.equal(d.status, 'PENDING');
    assert.equal(d.last_status_code, 500);
    assert.match(d.next_attempt_at, TS_RE);
    await advance(t, 25 * HOUR);
    await waitFor('FAILED', async () => ([d] = await deliveries(t, w.id), d.status === 'FAILED'));
    assert.equal(d.next_attempt_at, null);
    assert.equal((await deliveries(t, w.id, 'status=FAILED')).length, 1);
    assert.equal((await deliveries(t, w.id, 'status=PENDING')).length, 0);
    rx.mode = 'ok';
    const r = await api(t, 'POST', `/v1/webhooks/${w.id}/deliveries/${d.id}/redeliver`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'PENDING');
    await waitFor('redelivered', () => rx.events.length === 1);
    assert.equal(rx.events[0].data.entry.points, 7);
    assert.equal(rx.events[0].id, d.event_id, 'the same event id: receivers deduplicate on it');
    await waitFor('DELIVERED', async () => ((await deliveries(t, w.id))[0].status === 'DELIVERED'));
    // Redelivering a delivered one sends it once more (at least once, same id).
    assert.equal((await api(t, 'POST', `/v1/webhooks/${w.id}/deliveries/${d.id}/redeliver`)).status, 200);
    await waitFor('sent again', () => rx.events.length === 2);
    assert.equal(rx.events[1].id, d.event_id);
    await rx.close();
    await api(t, 'DELETE', `/v1/webhooks/${w.id}`);
  });

  test('a rotated secret signs the next deliveries', async () => {
    const rx = await receiver();
    const w = await createWebhook(t, { url: rx.url, events: ['voucher.loyalty_card.points_added'] });
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    const s = await api(t, 'POST', `/v1/webhooks/${w.id}/secret`);
    assert.equal(s.status, 200);
    rx.secrets.push(s.json.secret); // only the new one
    await addPoints(t, p.id, m.id, 3);
    await waitFor('a delivery', () => rx.requests.length >= 1);
    assert.equal(rx.badSignatures, 0, 'signed with the new secret');
    assert.ok(!rx.requests.some((q) => crypto.createHmac('sha256', w.secret).update(q.raw).digest('hex') === q.headers['x-treu-signature']));
    await rx.close();
    await api(t, 'DELETE', `/v1/webhooks/${w.id}`);
  });

  test('an inactive endpoint gets no deliveries', async () => {
    const rx = await receiver();
    const w = await createWebhook(t, { url: rx.url, events: ['*'], active: false });
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    await addPoints(t, p.id, m.id, 3);
    assert.equal((await deliveries(t, w.id)).length, 0);
    await rx.close();
    await api(t, 'DELETE', `/v1/webhooks/${w.id}`);
  });
});

describe('webhooks: restart', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  test('events committed before a crash are delivered after the restart, in order', async () => {
    // A port that refuses connections: the endpoint is down.
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    const w = await createWebhook(t, { url: `http://127.0.0.1:${port}/hooks`, events: ['voucher.loyalty_card.points_added'] });
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    for (let i = 1; i <= 3; i++) await addPoints(t, p.id, m.id, i);
    await waitFor('a failed attempt', async () => (await deliveries(t, w.id)).some((x) => x.attempts >= 1));
    const failed = (await deliveries(t, w.id)).find((x) => x.attempts >= 1);
    assert.equal(failed.last_status_code, null, 'no HTTP answer');
    assert.equal(typeof failed.last_error, 'string');
    await t.kill(); // SIGKILL: no clean shutdown
    await t.restart();
    const rx = await receiver(port);
    rx.secrets.push(w.secret);
    try {
      for (let k = 0; k < 5 && rx.events.length < 3; k++) {
        await advance(t, 2 * HOUR);
        await sleep(500);
      }
      await waitFor('all three after the restart', () => rx.events.length >= 3);
      assert.deepEqual(rx.events.map((e) => e.data.entry.balance_after), [1, 3, 6]);
      assert.equal(rx.badSignatures, 0);
      const log = await deliveries(t, w.id);
      assert.ok(log.every((x) => x.status === 'DELIVERED'), JSON.stringify(log));
      const sd = await t.shutdown();
      assert.equal(sd.code, 0, 'clean shutdown with the worker running');
      assert.equal(sd.forced, false);
    } finally {
      await rx.close();
    }
  });
});

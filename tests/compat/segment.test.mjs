// segment.test.mjs - Segment's official Node library (@segment/analytics-node, pinned in
// package-lock.json), unchanged, pointed at treu with a client key's token as its write
// key: identify creates the customer with its traits, track earns the points an earning
// rule gives, once per messageId. docs/api.md "Segment-style ingestion".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics } from '@segment/analytics-node';
import { startWithSdk, uid } from './sdk.mjs';

let t;
let vf;
before(async () => { ({ t, vf } = await startWithSdk()); });
after(async () => { await t?.stop(); });

/* A Segment client sending each call at once, with no retries to hide a failure. */
function segment(writeKey) {
  const a = new Analytics({ writeKey, host: t.url, path: '/v1/batch', flushAt: 1, maxRetries: 0 });
  const errors = [];
  a.on('error', (e) => errors.push(e));
  return { a, errors };
}

/* Runs one call and resolves when treu answered it. */
const send = (a, method, params) => new Promise((resolve, reject) => {
  a[method](params, (err, ctx) => (err ? reject(err) : resolve(ctx)));
});

test('identify then track, through the official client, earn the rule\'s points', async () => {
  const p = await vf.loyalties.create({
    name: uid('club'), type: 'AUTO_UPDATE', vouchers_count: 0,
    voucher: { type: 'LOYALTY_CARD', loyalty_card: { points: 0 }, code_config: { pattern: 'SEG-########' } },
  });
  await vf.loyalties.createEarningRule(p.id, [{ event: 'review_written', loyalty: { type: 'FIXED', points: 40 } }]);
  const { a, errors } = segment(t.keys.client_token);
  const userId = uid('user');
  await send(a, 'identify', {
    userId,
    traits: { name: 'Grace Hopper', email: 'grace@example.com', birthday: '1906-12-09', plan: 'navy' },
  });
  const cust = await vf.customers.get(userId);
  assert.equal(cust.source_id, userId);
  assert.equal(cust.name, 'Grace Hopper');
  assert.equal(cust.email, 'grace@example.com');
  assert.equal(cust.birthdate, '1906-12-09');
  assert.deepEqual(cust.metadata, { plan: 'navy' });

  const m = await vf.loyalties.createMember(p.id, { customer: userId });
  const ctx = await send(a, 'track', { userId, event: 'Review Written', properties: { stars: 5 } });
  assert.equal((await vf.loyalties.getMember(p.id, m.id)).loyalty_card.balance, 40);
  // the same message delivered again (a retry) earns nothing more
  await send(a, 'track', { userId, event: 'Review Written', messageId: ctx.event.messageId });
  await send(a, 'track', { userId, event: 'Review Written', properties: { stars: 4 } });
  assert.equal((await vf.loyalties.getMember(p.id, m.id)).loyalty_card.balance, 80);
  await a.closeAndFlush({ timeout: 5000 });
  assert.deepEqual(errors, []);
});

test('a wrong write key is refused: the client reports the delivery failure', async () => {
  const { a, errors } = segment('not-a-treu-token');
  await assert.rejects(send(a, 'track', { userId: uid('u'), event: 'x' }));
  await a.closeAndFlush({ timeout: 5000 });
  assert.ok(errors.length > 0);
});

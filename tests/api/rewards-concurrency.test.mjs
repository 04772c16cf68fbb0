// Never a double spend (docs/api.md "Redeeming a reward"): many clients redeeming at once
// get exactly as many successes as the balance, or the stock, allows.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';
import { createReward, material, assign, redeem, addMember, card } from './rewards-helpers.mjs';

const CLIENTS = 40;

describe('reward redemption under concurrency', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  const tally = (rs) => {
    const by = {};
    for (const r of rs) {
      const k = r.status === 200 ? 'ok' : `${r.status} ${r.json?.key}`;
      by[k] = (by[k] ?? 0) + 1;
    }
    return by;
  };

  test(`${CLIENTS} clients on one member whose balance covers exactly 7`, async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const m = await addMember(t, p.id, 70);
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 10);
    const t0 = Date.now();
    const rs = await Promise.all(Array.from({ length: CLIENTS }, (_, i) =>
      redeem(t, i % 2 ? p.id : null, i % 3 ? m.id : m.code, { reward: { id: rw.id } })));
    const ms = Date.now() - t0;
    assert.deepEqual(tally(rs), { ok: 7, '400 insufficient_balance': CLIENTS - 7 }, JSON.stringify(tally(rs)));
    const c = await card(t, m.id);
    assert.deepEqual([c.balance, c.subtracted_points], [0, 70]);
    const tx = (await api(t, 'GET', `/v1/loyalties/members/${m.id}/transactions?limit=100`)).json.data;
    assert.equal(tx.filter((e) => e.type === 'POINTS_REDEMPTION').length, 7);
    const after_ = tx.filter((e) => e.type === 'POINTS_REDEMPTION').map((e) => e.balance_after).sort((a, b) => a - b);
    assert.deepEqual(after_, [0, 10, 20, 30, 40, 50, 60], 'each success saw the previous one');
    assert.equal(new Set(rs.filter((r) => r.status === 200).map((r) => r.json.id)).size, 7);
    assert.equal((await api(t, 'GET', `/v1/rewards/${rw.id}`)).json.redeemed, 7);
    process.stderr.write(`# ${CLIENTS} concurrent redemptions on one member: ${ms} ms\n`);
  });

  test(`${CLIENTS} members racing for a stock of 5`, async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const rw = await createReward(t, material({ stock: 5 }));
    await assign(t, p.id, rw.id, 10);
    const ms = [];
    for (let i = 0; i < CLIENTS; i++) ms.push(await addMember(t, p.id, 100));
    const rs = await Promise.all(ms.map((m) => redeem(t, p.id, m.id, { reward: { id: rw.id } })));
    assert.deepEqual(tally(rs), { ok: 5, '400 reward_out_of_stock': CLIENTS - 5 }, JSON.stringify(tally(rs)));
    const got = (await api(t, 'GET', `/v1/rewards/${rw.id}`)).json;
    assert.deepEqual([got.stock, got.redeemed], [5, 5]);
    let spent = 0;
    for (const m of ms) spent += 100 - (await card(t, m.id)).balance;
    assert.equal(spent, 50, 'only the winners paid');
  });

  test('a variant with its own stock under the same race', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const rw = await createReward(t, material({
      variants: { attribute: 'metadata.size', options: [{ value: 'S', stock: 3 }, { value: 'L', stock: 2 }] },
    }));
    await assign(t, p.id, rw.id, 10);
    const ms = [];
    for (let i = 0; i < 20; i++) ms.push(await addMember(t, p.id, 10, { metadata: { size: i % 2 ? 'S' : 'L' } }));
    const rs = await Promise.all(ms.map((m) => redeem(t, p.id, m.id, { reward: { id: rw.id } })));
    const ok = rs.filter((r) => r.status === 200);
    assert.equal(ok.length, 5, JSON.stringify(tally(rs)));
    assert.equal(ok.filter((r) => r.json.reward.variant.value === 'S').length, 3);
    assert.equal(ok.filter((r) => r.json.reward.variant.value === 'L').length, 2);
    const got = (await api(t, 'GET', `/v1/rewards/${rw.id}`)).json;
    assert.deepEqual(got.variants.options.map((o) => [o.value, o.redeemed]), [['S', 3], ['L', 2]]);
  });
});

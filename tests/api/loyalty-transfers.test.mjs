// Point transfers between members of one program (docs/api.md "Members"): points leave
// the source soonest-expiry first and arrive as lots that keep their expiry.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';

describe('loyalty transfers', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  const card = async (m) => {
    const c = (await api(t, 'GET', `/v1/loyalties/members/${m.code}`)).json.loyalty_card;
    assert.equal(c.points, c.balance + c.pending_points + c.subtracted_points + c.expired_points);
    return c;
  };
  const lots = async (m) => (await api(t, 'GET', `/v1/loyalties/members/${m.code}/points-expiration`)).json.data;
  const add = async (m, points) => {
    const r = await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points } });
    assert.equal(r.status, 200, r.text);
  };

  test('points move oldest expiry first and keep their expiry; accounts stay balanced', async () => {
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p'), voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 30 } } } } })).json;
    const enrol = async () => (await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { body: { customer: { source_id: uid('c') } } })).json;
    const a = await enrol();
    const b = await enrol();
    await add(a, 100);
    await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: 86_400 } });
    await add(a, 100);
    const aLots = await lots(a);
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 150, reason: 'gift to a friend' }] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, b.id);
    assert.equal(r.json.loyalty_card.balance, 150);
    assert.equal((await card(a)).balance, 50);
    const bLots = await lots(b);
    assert.deepEqual(bLots.map((l) => [l.points, l.expires_at]), [[100, aLots[0].expires_at], [50, aLots[1].expires_at]]);
    assert.deepEqual((await lots(a)).map((l) => [l.points, l.expires_at]), [[50, aLots[1].expires_at]]);
    const outTx = (await api(t, 'GET', `/v1/loyalties/members/${a.code}/transactions`)).json.data[0];
    const inTx = (await api(t, 'GET', `/v1/loyalties/members/${b.code}/transactions`)).json.data[0];
    assert.deepEqual([outTx.type, outTx.points, outTx.reason], ['POINTS_TRANSFER_OUT', -150, 'gift to a friend']);
    assert.deepEqual([inTx.type, inTx.points], ['POINTS_TRANSFER_IN', 150]);
    const act = (await api(t, 'GET', `/v1/loyalties/members/${b.code}/activities?limit=1`)).json;
    assert.equal(act.total, 1);
    assert.equal(act.data[0].type, 'customer.loyalty.card.points_received');
    assert.equal(act.data[0].data.transaction.id, inTx.id);
    const actA = (await api(t, 'GET', `/v1/loyalties/${p.id}/members/${a.id}/activity`)).json;
    assert.deepEqual(actA.data.map((x) => x.type), ['customer.loyalty.card.points_transferred',
      'customer.loyalty.card.points_added', 'customer.loyalty.card.points_added']);
    const acc = (await api(t, 'GET', `/v1/loyalties/${p.id}`)).json.accounts;
    assert.equal(acc.outstanding, 200, 'a transfer creates and destroys nothing');

    // refused transfers change nothing
    const tooMuch = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 51 }] });
    assert.equal(tooMuch.status, 400, tooMuch.text);
    assert.equal(tooMuch.json.key, 'insufficient_balance');
    const self = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: b.code, points: 1 }] });
    assert.equal(self.status, 400, self.text);
    const other = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const stranger = (await api(t, 'POST', `/v1/loyalties/${other.id}/members`, { body: { customer: { source_id: uid('c') } } })).json;
    await add(stranger, 10);
    const cross = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: stranger.code, points: 5 }] });
    assert.equal(cross.status, 404, cross.text);
    // a batch is all or nothing: the second item fails, the first is not applied either
    const batch = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 10 }, { code: a.code, points: 100 }] });
    assert.equal(batch.status, 400, batch.text);
    assert.equal((await card(a)).balance, 50);
    assert.equal((await card(b)).balance, 150);
    assert.equal((await card(stranger)).balance, 10);
    const bad = await api(t, 'POST', `/v1/loyalties/${p.id}/members/${b.id}/transfers`, { body: [{ code: a.code, points: 0 }] });
    assert.equal(bad.status, 400, bad.text);
    assert.ok(bad.json.details.includes('points'), bad.text);
  });
});

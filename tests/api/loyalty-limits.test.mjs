// loyalty-limits.test.mjs - a program's budget and fraud caps (docs/api.md "Budgets and
// caps"): a per-member earning cap per day cuts accruals; a per-member redemption cap per
// month and a program-wide redemption budget refuse redemptions inside the redeeming
// command (exact under concurrency), and a rollback gives the room back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';
import { assertError, createProgram, newMember, expectCard, createRules, enc } from './loyalty-helpers.mjs';
import { createReward, material, assign, redeem, addMember } from './rewards-helpers.mjs';

const advance = (t, seconds) => api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: seconds } });

describe('program budget and per-member caps', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  test('limits are validated, stored canonically and removed with null', async () => {
    const p = await createProgram(t, { limits: { per_member: { earned: { points: 50, period: 'DAY' } } } });
    assert.deepEqual(p.limits, { redemption_budget: null, per_member: { earned: { points: 50, period: 'DAY' }, redeemed: null } });
    const bad = [
      [{ redemption_budget: { points: 0 } }, 'limits.redemption_budget.points'],
      [{ redemption_budget: { points: 10, period: 'HOUR' } }, 'limits.redemption_budget.period'],
      [{ per_member: { earned: { points: 1.5 } } }, 'limits.per_member.earned.points'],
      [{ per_member: { spent: { points: 5 } } }, 'limits.per_member.spent'],
      [{ budget: 5 }, 'limits.budget'],
      [[1], 'limits'],
    ];
    for (const [limits, field] of bad) {
      const r = await api(t, 'PUT', `/v1/loyalties/${enc(p.id)}`, { body: { limits } });
      assertError(r, 400, 'invalid_param');
      assert.ok(r.json.details.includes(field), `${JSON.stringify(limits)}: ${r.text}`);
    }
    const got = await api(t, 'GET', `/v1/loyalties/${enc(p.id)}`);
    assert.deepEqual(got.json.limits, p.limits, 'a refused update changed nothing');
    const off = await api(t, 'PUT', `/v1/loyalties/${enc(p.id)}`, { body: { limits: null } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.limits, null);
  });

  test('the earning cap cuts accruals to what is left of the day and resets the next day', async () => {
    const p = await createProgram(t, { limits: { per_member: { earned: { points: 50, period: 'DAY' } } } });
    await createRules(t, p.id, [{ event: 'ride', loyalty: { type: 'FIXED', points: 30 } }]);
    const m = await newMember(t, p.id);
    const ride = async () => {
      const r = await api(t, 'POST', '/v1/events', { body: { event: 'ride', customer: { source_id: m.sid } } });
      assert.equal(r.status, 201, r.text);
      return r.json.loyalty.points;
    };
    assert.equal(await ride(), 30);
    assert.equal(await ride(), 20, 'cut to the 20 left of 50');
    assert.equal(await ride(), 0, 'nothing left today');
    await expectCard(t, m.member.id, { balance: 50 });
    // Added points are not earned through rules: the cap leaves them alone.
    const add = await api(t, 'POST', `/v1/loyalties/${enc(p.id)}/members/${enc(m.member.id)}/balance`, { body: { points: 500 } });
    assert.equal(add.status, 200, add.text);
    assert.equal(await ride(), 0);
    assert.equal((await advance(t, 86_400)).status, 200);
    assert.equal(await ride(), 30, 'a new day');
    await expectCard(t, m.member.id, { balance: 580 });
  });

  test('the per-member redemption cap refuses past the month and a rollback gives room back', async () => {
    const p = await createProgram(t, { limits: { per_member: { redeemed: { points: 100, period: 'MONTH' } } } });
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 40);
    const m = await addMember(t, p.id, 1000);
    const r1 = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assert.equal(r1.status, 200, r1.text);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: rw.id } })).status, 200);
    const third = await redeem(t, p.id, m.id, { reward: { id: rw.id } });
    assertError(third, 400, 'member_redemption_cap');
    assert.match(third.json.details, /80 of 100/);
    // Another member has a cap of their own.
    const other = await addMember(t, p.id, 1000);
    assert.equal((await redeem(t, p.id, other.id, { reward: { id: rw.id } })).status, 200);
    // A rollback frees its points of the cap.
    assert.equal((await api(t, 'POST', `/v1/redemptions/${r1.json.id}/rollback`)).status, 200);
    assert.equal((await redeem(t, p.id, m.id, { reward: { id: rw.id } })).status, 200);
    assert.equal((await api(t, 'GET', `/v1/loyalties/members/${enc(m.id)}`)).json.loyalty_card.balance, 920);
  });

  test('the redemption budget holds exactly under concurrent redemptions by many members', async () => {
    const p = await createProgram(t, { limits: { redemption_budget: { points: 100 } } });
    const rw = await createReward(t, material());
    await assign(t, p.id, rw.id, 10);
    const members = [];
    for (let i = 0; i < 20; i++) members.push(await addMember(t, p.id, 50));
    const answers = await Promise.all(members.map((m) => redeem(t, p.id, m.id, { reward: { id: rw.id } })));
    const ok = answers.filter((r) => r.status === 200).length;
    const refused = answers.filter((r) => r.status === 400 && r.json.key === 'redemption_budget_exceeded').length;
    assert.equal(ok, 10, answers.map((r) => r.status).join(','));
    assert.equal(refused, 10);
    let spent = 0;
    for (const m of members) spent += 50 - (await api(t, 'GET', `/v1/loyalties/members/${enc(m.id)}`)).json.loyalty_card.balance;
    assert.equal(spent, 100, 'exactly the budget was spent');
  });
});

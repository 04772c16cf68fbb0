// The points ledger through manual balance changes: additions, subtractions, insufficient
// balance, negative balances, transactions, lots consumed soonest expiry first, expiry
// instants in the program's zone, pending points. docs/api.md "Members" and DESIGN.md
// "The ledger". The invariant points = balance + pending + subtracted + expired is checked
// after every step.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, sleep, uid, TS_RE } from './harness.mjs';
import {
  DAY_MS, LOT_RE, enc, assertError, assertEntry, createProgram, createRules, newMember, getMember, expectCard,
  balance, transactions, lots, endOfMonthIn,
} from './loyalty-helpers.mjs';

describe('loyalty ledger', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('add 100, subtract 30, subtract too much → insufficient_balance and nothing changed', async () => {
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    await expectCard(t, m.id, { points: 0, balance: 0 }, 'after enrolment');

    const a = await balance(t, p.id, m.id, 100, 'goodwill');
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.points, 100);
    assert.equal(a.json.total, 100);
    assert.equal(a.json.balance, 100);
    assert.equal(a.json.type, 'loyalty_card');
    assert.equal(a.json.object, 'balance');
    assert.equal(a.json.operation_type, 'MANUAL');
    assert.deepEqual(a.json.related_object, { type: 'voucher', id: m.id });
    await expectCard(t, m.id, { points: 100, balance: 100, pending_points: 0, subtracted_points: 0, expired_points: 0 }, 'after +100');

    // by card code on the program-less path
    const s = await api(t, 'POST', `/v1/loyalties/members/${enc(m.code)}/balance`, { body: { points: -30, reason: 'correction' } });
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.points, -30);
    assert.equal(s.json.total, 100);
    assert.equal(s.json.balance, 70);
    assert.deepEqual(s.json.related_object, { type: 'voucher', id: m.id });
    const after30 = await expectCard(t, m.id, { points: 100, balance: 70, pending_points: 0, subtracted_points: 30, expired_points: 0 }, 'after -30');

    const txBefore = await transactions(t, m.id);
    const lotsBefore = await lots(t, m.id);
    const bad = await balance(t, p.id, m.id, -71, 'too much');
    assertError(bad, 400, 'insufficient_balance');
    const same = await getMember(t, m.id, 'after refused -71');
    assert.deepEqual(same.loyalty_card, after30.loyalty_card, 'card unchanged');
    assert.deepEqual(await transactions(t, m.id), txBefore, 'no transaction written');
    assert.deepEqual(await lots(t, m.id), lotsBefore, 'lots unchanged');

    // exactly the balance is fine
    const all = await balance(t, p.id, m.id, -70);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.balance, 0);
    await expectCard(t, m.id, { points: 100, balance: 0, subtracted_points: 100 }, 'after -70');
    assert.deepEqual(await lots(t, m.id), [], 'no lot holds points');
    assertError(await balance(t, p.id, m.id, -1), 400, 'insufficient_balance');
  });

  test('concurrent removals never overdraw: 10 × −30 on a balance of 100 → 3 succeed', async () => {
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    assert.equal((await balance(t, p.id, m.id, 100)).status, 200);
    const rs = await Promise.all(Array.from({ length: 10 }, () => balance(t, p.id, m.id, -30)));
    const ok = rs.filter((r) => r.status === 200);
    const refused = rs.filter((r) => r.status === 400);
    assert.equal(ok.length, 3, rs.map((r) => `${r.status} ${r.text}`).join('\n'));
    assert.equal(refused.length, 7);
    for (const r of refused) assert.equal(r.json.key, 'insufficient_balance');
    assert.deepEqual(ok.map((r) => r.json.balance).sort((a, b) => b - a), [70, 40, 10]);
    await expectCard(t, m.id, { points: 100, balance: 10, subtracted_points: 90 }, 'after the race');
    const tx = await transactions(t, m.id);
    assert.equal(tx.total, 4);
    assert.deepEqual(tx.data.map((e) => e.balance_after), [10, 40, 70, 100]);
  });

  test('balance: validation and unknown member', async () => {
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    const url = `/v1/loyalties/${p.id}/members/${m.id}/balance`;
    assertError(await api(t, 'POST', url, { body: {} }), 400, 'missing_param', 'points');
    assertError(await api(t, 'POST', url, { body: { points: 'ten' } }), 400, 'invalid_param', 'points');
    assertError(await api(t, 'POST', url, { body: { points: 1.5 } }), 400, 'invalid_param', 'points');
    assertError(await api(t, 'POST', url, { body: { points: 10, bogus: true } }), 400, 'invalid_param', 'bogus');
    assertError(await api(t, 'POST', `/v1/loyalties/${p.id}/members/v_doesnotexist000000000/balance`, { body: { points: 10 } }), 404, 'not_found');
    await expectCard(t, m.id, { points: 0, balance: 0 });
    assert.equal((await transactions(t, m.id)).total, 0);
  });

  test('transactions: newest first, types, balance_after, reason, which lots a removal drew from', async () => {
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    assert.equal((await balance(t, p.id, m.id, 100, 'welcome')).status, 200);
    await getMember(t, m.id, 'after +100');
    const [lot] = await lots(t, m.id);
    assert.equal(lot.points, 100);
    assert.equal((await balance(t, p.id, m.id, -30, 'spent')).status, 200);
    await getMember(t, m.id, 'after -30');
    assert.equal((await balance(t, p.id, m.id, 5, 'bonus')).status, 200);
    await getMember(t, m.id, 'after +5');

    const tx = await transactions(t, m.id);
    assert.equal(tx.total, 3);
    assert.equal(tx.has_more, false);
    const [bonus, spent, welcome] = tx.data;
    for (const e of tx.data) {
      assertEntry(e);
      assert.equal(e.voucher_id, m.id);
      assert.equal(e.campaign_id, p.id);
    }
    assert.deepEqual([bonus.type, spent.type, welcome.type], ['POINTS_ADDITION', 'POINTS_REMOVAL', 'POINTS_ADDITION']);
    assert.deepEqual([bonus.points, spent.points, welcome.points], [5, -30, 100]);
    assert.deepEqual([bonus.balance_after, spent.balance_after, welcome.balance_after], [75, 70, 100]);
    assert.deepEqual([bonus.reason, spent.reason, welcome.reason], ['bonus', 'spent', 'welcome']);
    assert.deepEqual(spent.details.lots, [{ id: lot.id, points: -30 }], 'the removal names the lot it drew from');
    assert.ok(welcome.created_at <= spent.created_at && spent.created_at <= bonus.created_at, 'newest first');
    assert.equal(new Set(tx.data.map((e) => e.id)).size, 3);

    // paging and the program path give the same entries
    const p1 = await transactions(t, m.id, 'limit=2');
    assert.deepEqual(p1.data.map((e) => e.id), [bonus.id, spent.id]);
    assert.equal(p1.has_more, true);
    assert.equal(p1.total, 3);
    const viaProgram = await api(t, 'GET', `/v1/loyalties/${p.id}/members/${m.id}/transactions?limit=100`);
    assert.equal(viaProgram.status, 200, viaProgram.text);
    assert.deepEqual(viaProgram.json.data, tx.data);
  });

  test('removals take lots soonest expiry first (never-expiring last), partial takes leave the rest', async () => {
    const p = await createProgram(t);
    const { member: m } = await newMember(t, p.id);
    const add = async (pts) => {
      const r = await balance(t, p.id, m.id, pts);
      assert.equal(r.status, 200, r.text);
      return getMember(t, m.id, `after +${pts}`);
    };
    const setExpiry = async (er) => {
      const r = await api(t, 'PUT', `/v1/loyalties/${p.id}`, { body: { voucher: { loyalty_card: { expiration_rules: er } } } });
      assert.equal(r.status, 200, r.text);
    };
    const t0 = Date.now();
    await add(100); // lot A: never expires
    await setExpiry({ period_type: 'DAY', period_value: 30 });
    await add(50); // lot B: in 30 days
    await setExpiry({ period_type: 'DAY', period_value: 10 });
    const afterC = await add(20); // lot C: in 10 days
    const t1 = Date.now();

    const ls = await lots(t, m.id);
    assert.deepEqual(ls.map((l) => l.points), [20, 50, 100], `soonest expiry first, never last: ${JSON.stringify(ls)}`);
    const [C, B, A] = ls;
    assert.equal(A.expires_at, null);
    for (const [l, days] of [[C, 10], [B, 30]]) {
      const at = Date.parse(l.expires_at);
      assert.ok(at >= t0 + days * DAY_MS - 1000 && at <= t1 + days * DAY_MS + 1000,
        `lot expires ${days} days after it was earned: ${l.expires_at}`);
      assert.equal(l.status, 'ACTIVE');
      assert.equal(l.release_at, null);
    }
    assert.equal(afterC.loyalty_card.next_expiration_date, C.expires_at);
    assert.equal(afterC.loyalty_card.next_expiration_points, 20);

    const r1 = await balance(t, p.id, m.id, -40);
    assert.equal(r1.status, 200, r1.text);
    const m1 = await expectCard(t, m.id, { points: 170, balance: 130, subtracted_points: 40 }, 'after -40');
    const tx1 = (await transactions(t, m.id, 'limit=1')).data[0];
    assert.equal(tx1.type, 'POINTS_REMOVAL');
    assert.deepEqual(tx1.details.lots, [{ id: C.id, points: -20 }, { id: B.id, points: -20 }]);
    const ls1 = await lots(t, m.id);
    assert.deepEqual(ls1.map((l) => [l.id, l.points]), [[B.id, 30], [A.id, 100]], 'C spent, B partly, A whole');
    assert.equal(ls1[0].expires_at, B.expires_at, 'a partly spent lot keeps its expiry');
    assert.equal(m1.loyalty_card.next_expiration_date, B.expires_at);
    assert.equal(m1.loyalty_card.next_expiration_points, 30);

    const r2 = await balance(t, p.id, m.id, -50);
    assert.equal(r2.status, 200, r2.text);
    const m2 = await expectCard(t, m.id, { points: 170, balance: 80, subtracted_points: 90 }, 'after -50');
    const tx2 = (await transactions(t, m.id, 'limit=1')).data[0];
    assert.deepEqual(tx2.details.lots, [{ id: B.id, points: -30 }, { id: A.id, points: -20 }]);
    assert.deepEqual((await lots(t, m.id)).map((l) => [l.id, l.points, l.expires_at]), [[A.id, 80, null]]);
    assert.equal(m2.loyalty_card.next_expiration_date, null, 'no expiring points left');
  });

  test('lots with the same expiry are taken oldest first', async () => {
    // every lot earned this month expires at the same instant: the end of next month
    const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: 1, rounding_type: 'END_OF_MONTH' } } } });
    const { member: m } = await newMember(t, p.id);
    for (const pts of [10, 20, 30]) {
      assert.equal((await balance(t, p.id, m.id, pts)).status, 200);
      await getMember(t, m.id, `after +${pts}`);
      await sleep(3);
    }
    const ls = await lots(t, m.id);
    assert.deepEqual(ls.map((l) => l.points), [10, 20, 30], 'ties: oldest first');
    assert.equal(new Set(ls.map((l) => l.expires_at)).size, 1, `one expiry instant: ${JSON.stringify(ls)}`);
    const [D, E, F] = ls;
    assert.ok(D.created_at <= E.created_at && E.created_at <= F.created_at);
    assert.equal((await balance(t, p.id, m.id, -15)).status, 200);
    const mm = await expectCard(t, m.id, { points: 60, balance: 45, subtracted_points: 15 }, 'after -15');
    const tx = (await transactions(t, m.id, 'limit=1')).data[0];
    assert.deepEqual(tx.details.lots, [{ id: D.id, points: -10 }, { id: E.id, points: -5 }]);
    assert.deepEqual((await lots(t, m.id)).map((l) => [l.id, l.points]), [[E.id, 15], [F.id, 30]]);
    assert.equal(mm.loyalty_card.next_expiration_date, D.expires_at);
    assert.equal(mm.loyalty_card.next_expiration_points, 45);
  });

  test('points-expiration takes limit and page (docs/api.md "Conventions → Lists")', async () => {
    const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 5 } } } });
    const { member: m } = await newMember(t, p.id);
    for (const pts of [10, 20, 30]) assert.equal((await balance(t, p.id, m.id, pts)).status, 200);
    const ls = await lots(t, m.id);
    assert.equal(ls.length, 3);
    const pg1 = await api(t, 'GET', `/v1/loyalties/members/${m.id}/points-expiration?limit=2`);
    assert.equal(pg1.status, 200, pg1.text);
    assert.deepEqual(pg1.json.data.map((l) => l.id), ls.slice(0, 2).map((l) => l.id), `limit=2: ${pg1.text}`);
    assert.equal(pg1.json.total, 3);
    assert.equal(pg1.json.has_more, true);
    const pg2 = await api(t, 'GET', `/v1/loyalties/members/${m.id}/points-expiration?limit=2&page=2`);
    assert.deepEqual(pg2.json.data.map((l) => l.id), [ls[2].id]);
    assert.equal(pg2.json.has_more, false);
    assertError(await api(t, 'GET', `/v1/loyalties/members/${m.id}/points-expiration?limit=0`), 400, 'invalid_query', 'limit');
  });

  test('allow_negative_balance: a subtraction may go below zero; a later addition pays the debt first', async () => {
    const p = await createProgram(t, { allow_negative_balance: true });
    assert.equal(p.allow_negative_balance, true);
    const { member: m } = await newMember(t, p.id);
    assert.equal((await balance(t, p.id, m.id, 100)).status, 200);
    const [A] = await lots(t, m.id);
    const s = await balance(t, p.id, m.id, -150, 'chargeback');
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.balance, -50);
    assert.equal(s.json.total, 100);
    await expectCard(t, m.id, { points: 100, balance: -50, pending_points: 0, subtracted_points: 150, expired_points: 0 }, 'in debt');
    const rm = (await transactions(t, m.id, 'limit=1')).data[0];
    assert.equal(rm.type, 'POINTS_REMOVAL');
    assert.equal(rm.points, -150);
    assert.equal(rm.balance_after, -50);
    assert.deepEqual(rm.details.lots, [{ id: A.id, points: -100 }], 'drew the whole lot; the rest is debt');
    assert.deepEqual(await lots(t, m.id), []);

    // more debt
    assert.equal((await balance(t, p.id, m.id, -10)).status, 200);
    await expectCard(t, m.id, { points: 100, balance: -60, subtracted_points: 160 }, 'deeper in debt');

    const a = await balance(t, p.id, m.id, 80);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.balance, 20, 'balance = -60 + 80');
    assert.equal(a.json.total, 180);
    await expectCard(t, m.id, { points: 180, balance: 20, subtracted_points: 160 }, 'debt paid');
    const ls = await lots(t, m.id);
    assert.equal(ls.length, 1);
    assert.equal(ls[0].points, 20, 'the new lot paid the debt and keeps the rest');
    const add = (await transactions(t, m.id, 'limit=1')).data[0];
    assert.equal(add.type, 'POINTS_ADDITION');
    assert.equal(add.points, 80);
    assert.equal(add.balance_after, 20);

    // switching negative balances off: no new debt
    const u = await api(t, 'PUT', `/v1/loyalties/${p.id}`, { body: { allow_negative_balance: false } });
    assert.equal(u.status, 200, u.text);
    assertError(await balance(t, p.id, m.id, -21), 400, 'insufficient_balance');
    await expectCard(t, m.id, { points: 180, balance: 20, subtracted_points: 160 }, 'refused');
  });

  test('an addition smaller than the debt leaves a smaller debt', async () => {
    const p = await createProgram(t, { allow_negative_balance: true });
    const { member: m } = await newMember(t, p.id);
    assert.equal((await balance(t, p.id, m.id, -50)).status, 200);
    await expectCard(t, m.id, { points: 0, balance: -50, subtracted_points: 50 }, 'debt from zero');
    assert.equal((await balance(t, p.id, m.id, 20)).status, 200);
    await expectCard(t, m.id, { points: 20, balance: -30, subtracted_points: 50 }, 'partial payment');
    assert.deepEqual(await lots(t, m.id), [], 'the new lot went entirely into the debt');
  });
});

describe('loyalty expiry and pending points', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('MONTH 12 END_OF_MONTH in Europe/Berlin: the last instant of that month, Berlin time', async () => {
    const p = await createProgram(t, {
      timezone: 'Europe/Berlin',
      voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: 12, rounding_type: 'END_OF_MONTH' } } },
    });
    const { member: m } = await newMember(t, p.id);
    const t0 = Date.now();
    assert.equal((await balance(t, p.id, m.id, 200)).status, 200);
    const t1 = Date.now();
    const want = new Set([endOfMonthIn(t0, 'Europe/Berlin', 12), endOfMonthIn(t1, 'Europe/Berlin', 12)]);
    const ls = await lots(t, m.id);
    assert.equal(ls.length, 1);
    const [l] = ls;
    assert.equal(l.points, 200);
    assert.equal(l.status, 'ACTIVE');
    assert.equal(l.release_at, null);
    assert.match(l.expires_at, /T\d\d:59:59\.999Z$/);
    assert.ok(want.has(l.expires_at), `expires_at ${l.expires_at}, want ${[...want].join(' or ')}`);
    const mm = await expectCard(t, m.id, { points: 200, balance: 200, next_expiration_date: l.expires_at, next_expiration_points: 200 });
    // Berlin is UTC+1 or UTC+2: the instant is 22:59:59.999Z or 21:59:59.999Z the day before the 1st
    assert.match(mm.loyalty_card.next_expiration_date, /T2[12]:59:59\.999Z$/);

    // a second lot in the same month shares the instant; next_expiration_points adds up
    assert.equal((await balance(t, p.id, m.id, 50)).status, 200);
    await expectCard(t, m.id, { points: 250, balance: 250, next_expiration_date: l.expires_at, next_expiration_points: 250 });
  });

  test('END_OF_QUARTER / END_OF_YEAR in UTC', async () => {
    const now = Date.now();
    const cases = [
      ['END_OF_QUARTER', 1, (y, mo) => Date.UTC(y, Math.floor(mo / 3) * 3 + 3, 1) - 1],
      ['END_OF_YEAR', 1, (y) => Date.UTC(y + 1, 0, 1) - 1],
    ];
    for (const [rounding, months, endOf] of cases) {
      const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: months, rounding_type: rounding } } } });
      const { member: m } = await newMember(t, p.id);
      assert.equal((await balance(t, p.id, m.id, 10)).status, 200);
      const [l] = await lots(t, m.id);
      const d = new Date(now);
      const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1));
      const want = new Date(endOf(target.getUTCFullYear(), target.getUTCMonth())).toISOString();
      assert.equal(l.expires_at, want, `${rounding} after ${months} month(s)`);
    }
  });

  test('DAY 30 without rounding: 30 days after earning', async () => {
    const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 30 } } } });
    const { member: m } = await newMember(t, p.id);
    const t0 = Date.now();
    assert.equal((await balance(t, p.id, m.id, 10)).status, 200);
    const t1 = Date.now();
    const [l] = await lots(t, m.id);
    const at = Date.parse(l.expires_at);
    assert.ok(at >= t0 + 30 * DAY_MS - 1000 && at <= t1 + 30 * DAY_MS + 1000, `${l.expires_at}`);
    await expectCard(t, m.id, { next_expiration_date: l.expires_at, next_expiration_points: 10 });
  });

  test('pending_points.period_days 14: earned points are pending, not spendable', async () => {
    const p = await createProgram(t, { pending_points: { period_days: 14 } });
    assert.deepEqual(p.pending_points, { period_days: 14 });
    const [rule] = await createRules(t, p.id, [{ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } }]);
    const { member: m, sid } = await newMember(t, p.id);
    const t0 = Date.now();
    const o = await api(t, 'POST', '/v1/orders', { body: { source_id: uid('ord'), customer: { source_id: sid }, amount: 5000, status: 'PAID' } });
    const t1 = Date.now();
    assert.equal(o.status, 201, o.text);
    assert.equal(o.json.loyalty.points, 50);
    assert.equal(o.json.loyalty.entries.length, 1);
    const e = o.json.loyalty.entries[0];
    assert.equal(e.type, 'POINTS_ACCRUAL');
    assert.equal(e.points, 50);
    assert.equal(e.balance_after, 0, 'pending points are not in the balance');
    assert.equal(e.details.earning_rule.id, rule.id);

    await expectCard(t, m.id, { points: 50, balance: 0, pending_points: 50, subtracted_points: 0, expired_points: 0 });
    const ls = await lots(t, m.id);
    assert.equal(ls.length, 1);
    const [l] = ls;
    assert.equal(l.status, 'PENDING');
    assert.equal(l.points, 50);
    assert.equal(l.expires_at, null);
    assert.match(l.release_at, TS_RE);
    const rel = Date.parse(l.release_at);
    assert.ok(rel >= t0 + 14 * DAY_MS - 60_000 && rel <= t1 + 14 * DAY_MS + 60_000, `release_at ≈ now + 14 days: ${l.release_at}`);

    assertError(await balance(t, p.id, m.id, -10), 400, 'insufficient_balance');
    await expectCard(t, m.id, { points: 50, balance: 0, pending_points: 50, subtracted_points: 0 }, 'refused removal');

    // a manual addition is spendable at once and a removal draws only from it
    assert.equal((await balance(t, p.id, m.id, 30)).status, 200);
    await expectCard(t, m.id, { points: 80, balance: 30, pending_points: 50 });
    assertError(await balance(t, p.id, m.id, -31), 400, 'insufficient_balance');
    assert.equal((await balance(t, p.id, m.id, -30)).status, 200);
    await expectCard(t, m.id, { points: 80, balance: 0, pending_points: 50, subtracted_points: 30 });
    const pend = await lots(t, m.id);
    assert.deepEqual(pend.map((x) => [x.id, x.points, x.status]), [[l.id, 50, 'PENDING']], 'the pending lot is untouched');
  });

  test('a rule\'s pending_points overrides the program\'s period', async () => {
    const p = await createProgram(t, { pending_points: { period_days: 14 } });
    await createRules(t, p.id, [
      { event: 'instant', loyalty: { type: 'FIXED', points: 7 }, pending_points: { period_days: 0 } },
      { event: 'slow', loyalty: { type: 'FIXED', points: 3 }, pending_points: { period_days: 30 } },
    ]);
    const { member: m, sid } = await newMember(t, p.id);
    const t0 = Date.now();
    const a = await api(t, 'POST', '/v1/events', { body: { event: 'instant', customer: { source_id: sid } } });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.json.loyalty.points, 7);
    await expectCard(t, m.id, { points: 7, balance: 7, pending_points: 0 });
    const b = await api(t, 'POST', '/v1/events', { body: { event: 'slow', customer: { source_id: sid } } });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.json.loyalty.points, 3);
    await expectCard(t, m.id, { points: 10, balance: 7, pending_points: 3 });
    const pend = (await lots(t, m.id)).filter((l) => l.status === 'PENDING');
    assert.equal(pend.length, 1);
    const rel = Date.parse(pend[0].release_at);
    assert.ok(Math.abs(rel - (t0 + 30 * DAY_MS)) < 60_000, `release_at ≈ now + 30 days: ${pend[0].release_at}`);
  });
});

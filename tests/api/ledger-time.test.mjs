// The ledger over time (docs/api.md "Members", "Orders and events"): pending periods,
// expiry with calendar rounding in the program's zone, the scheduler that settles what
// falls due without a request, and refunds and cancellations after points were spent.
// The server runs with --test-clock, so POST /v1/_test/clock moves its time forward.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';

const DAY = 86_400;

function offsetMs(ms, tz) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (ty) => Number(parts.find((p) => p.type === ty).value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(ms / 1000) * 1000;
}

function localDate(ms, tz) {
  const l = new Date(ms + offsetMs(ms, tz));
  return { y: l.getUTCFullYear(), m: l.getUTCMonth() + 1, d: l.getUTCDate() };
}

/* The UTC instant (ms) of local midnight starting y-m-d in tz. */
function zonedMidnight(y, m, d, tz) {
  let guess = Date.UTC(y, m - 1, d);
  for (let i = 0; i < 3; i++) guess = Date.UTC(y, m - 1, d) - offsetMs(guess, tz);
  return guess;
}

/* End of the period (months 1, 3, 6, 12 long, aligned to the year) containing the local
 * date `months` after `ms`, as the server renders it (last microsecond, shown .999Z). */
function expectedEnd(ms, tz, months, periodMonths) {
  const { y, m } = localDate(ms, tz);
  const total = y * 12 + (m - 1) + months;
  const startOfPeriod = total - (total % periodMonths);
  const next = startOfPeriod + periodMonths;
  const end = zonedMidnight(Math.floor(next / 12), (next % 12) + 1, 1, tz) - 1;
  return new Date(end).toISOString();
}

describe('ledger over time', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  const advance = async (seconds) => {
    const r = await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: seconds } });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const program = async (extra) => {
    const r = await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p'), ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const rules = async (p, list) => {
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: list });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const member = async (p, source) => {
    const r = await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { body: { customer: { source_id: source } } });
    assert.ok([200, 201].includes(r.status), r.text);
    return r.json;
  };
  const card = async (m) => {
    const r = await api(t, 'GET', `/v1/loyalties/members/${m.code}`);
    assert.equal(r.status, 200, r.text);
    const c = r.json.loyalty_card;
    assert.equal(c.points, c.balance + c.pending_points + c.subtracted_points + c.expired_points,
      `points = balance + pending + subtracted + expired: ${JSON.stringify(c)}`);
    return c;
  };
  const lots = async (m) => (await api(t, 'GET', `/v1/loyalties/members/${m.code}/points-expiration`)).json.data;
  const txs = async (m) => (await api(t, 'GET', `/v1/loyalties/members/${m.code}/transactions?limit=100`)).json.data;
  const pay = async (source, customer, amount) => {
    const r = await api(t, 'POST', '/v1/orders', { body: { source_id: source, customer, amount, status: 'PAID' } });
    assert.ok([200, 201].includes(r.status), r.text);
    return r.json;
  };
  const poll = async (fn, ok, what) => {
    for (let i = 0; i < 50; i++) {
      const v = await fn();
      if (ok(v)) return v;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail(`timed out waiting for ${what}`);
  };

  test('points expire 12 months after earning at the end of that month, in Berlin', async () => {
    const p = await program({ timezone: 'Europe/Berlin', voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: 12, rounding_type: 'END_OF_MONTH' } } } });
    const m = await member(p, uid('c'));
    const add = await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: 120 } });
    assert.equal(add.status, 200, add.text);
    const [lot] = await lots(m);
    const want = expectedEnd(Date.parse(lot.created_at), 'Europe/Berlin', 12, 1);
    assert.equal(lot.expires_at, want);
    assert.match(lot.expires_at, /T2[23]:59:59\.999Z$/, 'local midnight in Berlin is 22:00 or 23:00 UTC');
    const c = await card(m);
    assert.equal(c.next_expiration_date, want);
    assert.equal(c.next_expiration_points, 120);
  });

  for (const [rounding, period] of [['END_OF_QUARTER', 3], ['END_OF_HALF_YEAR', 6], ['END_OF_YEAR', 12]]) {
    test(`expiry rounding ${rounding} in Asia/Kolkata`, async () => {
      const p = await program({ timezone: 'Asia/Kolkata', voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: 2, rounding_type: rounding } } } });
      const m = await member(p, uid('c'));
      assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: 5 } })).status, 200);
      const [lot] = await lots(m);
      assert.equal(lot.expires_at, expectedEnd(Date.parse(lot.created_at), 'Asia/Kolkata', 2, period));
      assert.match(lot.expires_at, /T18:29:59\.999Z$/, 'Kolkata midnight is 18:30 UTC');
    });
  }

  test('pending points become spendable after the period; the scheduler writes the entry', async () => {
    const p = await program({ pending_points: { period_days: 14 } });
    await rules(p, [{ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } }]);
    const src = uid('c');
    const m = await member(p, src);
    const o = await pay(uid('o'), { source_id: src }, 4200);
    assert.equal(o.loyalty.points, 42);
    let c = await card(m);
    assert.deepEqual([c.balance, c.pending_points], [0, 42]);
    const [lot] = await lots(m);
    assert.equal(lot.status, 'PENDING');
    const release = Date.parse(lot.release_at) - Date.parse(lot.created_at);
    assert.equal(release, 14 * DAY * 1000, 'released 14 days after earning');
    const spend = await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: -1 } });
    assert.equal(spend.status, 400, spend.text);
    assert.equal(spend.json.key, 'insufficient_balance');
    await advance(13 * DAY);
    c = await card(m);
    assert.deepEqual([c.balance, c.pending_points], [0, 42], 'still pending after 13 days');
    await advance(2 * DAY);
    c = await card(m);
    assert.deepEqual([c.balance, c.pending_points], [42, 0], 'a read shows the release at once');
    const entries = await poll(() => txs(m), (l) => l.some((e) => e.type === 'POINTS_PENDING_ACTIVATION'), 'the scheduler to write the activation');
    const act = entries.find((e) => e.type === 'POINTS_PENDING_ACTIVATION');
    assert.equal(act.points, 42);
    assert.equal(act.created_at, lot.release_at, 'the entry is dated when the points fell due');
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: -42 } })).status, 200);
  });

  test('expiry takes the unspent rest of a lot; the scheduler records it once', async () => {
    const p = await program({ voucher: { loyalty_card: { expiration_rules: { period_type: 'DAY', period_value: 30 } } } });
    const m = await member(p, uid('c'));
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: 100 } })).status, 200);
    await advance(10 * DAY);
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: 50 } })).status, 200);
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: -70 } })).status, 200);
    const before = await lots(m);
    assert.deepEqual(before.map((l) => l.points), [30, 50], 'the debit took the soonest-expiring lot first');
    await advance(21 * DAY);
    let c = await card(m);
    assert.deepEqual([c.balance, c.expired_points, c.subtracted_points], [50, 30, 70]);
    await poll(() => txs(m), (l) => l.some((e) => e.type === 'POINTS_EXPIRATION'), 'the expiry entry');
    await advance(1); // the scheduler runs again: nothing more may happen
    await new Promise((res) => setTimeout(res, 300));
    const exp = (await txs(m)).filter((e) => e.type === 'POINTS_EXPIRATION');
    assert.equal(exp.length, 1);
    assert.equal(exp[0].points, -30);
    c = await card(m);
    assert.deepEqual([c.balance, c.expired_points], [50, 30]);
  });

  test('partial refund after partial spend records the shortfall; cancellation takes pending first', async () => {
    const p = await program({ pending_points: { period_days: 7 } });
    await rules(p, [{ event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } }]);
    const src = uid('c');
    const m = await member(p, src);
    const o1 = await pay(uid('o'), { source_id: src }, 10000);
    await advance(8 * DAY);
    const o2 = await pay(uid('o'), { source_id: src }, 5000);
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: -80 } })).status, 200);
    let c = await card(m);
    assert.deepEqual([c.balance, c.pending_points], [20, 50]);
    const part = await api(t, 'PUT', `/v1/orders/${o1.id}`, { body: { amount: 6000 } });
    assert.equal(part.status, 200, part.text);
    assert.equal(part.json.loyalty.points, -20);
    assert.equal(part.json.loyalty.entries[0].type, 'POINTS_REFUND');
    assert.equal(part.json.loyalty.entries[0].details.shortfall, 20, '40 to take back, 20 left in the lot');
    c = await card(m);
    assert.equal(c.balance, 0, 'never negative because of a refund');
    const cancel2 = await api(t, 'PUT', `/v1/orders/${o2.id}`, { body: { status: 'CANCELED' } });
    assert.equal(cancel2.json.loyalty.points, -50);
    c = await card(m);
    assert.deepEqual([c.balance, c.pending_points, c.subtracted_points], [0, 0, 150]);
    const again = await api(t, 'PUT', `/v1/orders/${o2.id}`, { body: { status: 'CANCELED' } });
    assert.equal(again.json.loyalty.points, 0, 'a repeated cancellation takes nothing');
    const prog = (await api(t, 'GET', `/v1/loyalties/${p.id}`)).json;
    assert.deepEqual(prog.accounts, { issued: 150, subtracted: 150, expired: 0, outstanding: 0 });
    // double entry: every entry's postings sum to zero, and per account they add up to the
    // member's available and pending points and the program's accounts
    const sums = {};
    for (const e of await txs(m)) {
      const legs = e.details.postings;
      assert.equal(legs.reduce((a, l) => a + l.amount, 0), 0, `entry ${e.type} balances`);
      for (const l of legs) sums[l.account] = (sums[l.account] ?? 0) + l.amount;
    }
    c = await card(m);
    assert.equal(sums['member.available'] ?? 0, c.balance);
    assert.equal(sums['member.pending'] ?? 0, c.pending_points);
    assert.equal(-(sums['program.issuance'] ?? 0), prog.accounts.issued);
    assert.equal(sums['program.redemption'] ?? 0, prog.accounts.subtracted);
  });

  test('duplicate event deliveries earn once (source_id and Idempotency-Key)', async () => {
    const p = await program();
    await rules(p, [{ event: 'review', loyalty: { type: 'FIXED', points: 50 } }]);
    const src = uid('c');
    const m = await member(p, src);
    const body = { event: 'review', customer: src, source_id: uid('ev') };
    const a = await api(t, 'POST', '/v1/events', { body });
    const b = await api(t, 'POST', '/v1/events', { body });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 200, b.text);
    assert.equal(b.text, a.text);
    const key = uid('k');
    const k1 = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: src }, headers: { 'Idempotency-Key': key } });
    const k2 = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: src }, headers: { 'Idempotency-Key': key } });
    assert.equal(k2.text, k1.text);
    assert.equal((await card(m)).balance, 100);
  });

  test('tiers: up by earning (Gold doubles, a joining bonus once), down by a refund, reset by the calendar year', async () => {
    const p = await program({ timezone: 'Europe/Berlin', tier_qualification: { type: 'POINTS_IN_PERIOD', period: 'CALENDAR_YEAR' } });
    const [orderRule] = await rules(p, [
      { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } },
      { event: 'customer.loyalty.tier.joined', loyalty: { type: 'FIXED', points: 10 },
        conditions: { 1: { name: 'member.tier', conditions: { $is: ['Gold'] } } } },
      { event: 'customer.loyalty.tier.left', loyalty: { type: 'FIXED', points: 7 },
        conditions: { 1: { name: 'member.previous_tier', conditions: { $is: ['Silver'] } } } },
      { event: 'customer.loyalty.tier.left', loyalty: { type: 'FIXED', points: 3 },
        conditions: { 1: { name: 'member.previous_tier', conditions: { $is: ['Gold'] } } } },
    ]);
    const tr = await api(t, 'POST', `/v1/loyalties/${p.id}/tiers`, { body: [
      { name: 'Silver', points: { from: 500, to: 1999 } },
      { name: 'Gold', points: { from: 2000, to: null }, earning_multiplier: 2 },
    ] });
    assert.equal(tr.status, 201, tr.text);
    const [silver, gold] = tr.json;
    assert.equal(gold.earning_multiplier, 2);
    const src = uid('c');
    const m = await member(p, src);
    const tierOf = async () => (await api(t, 'GET', `/v1/loyalties/members/${m.code}/tiers`)).json.data.map((x) => x.name);
    assert.deepEqual(await tierOf(), []);
    const o1 = await pay(uid('o'), { source_id: src }, 60000);
    assert.equal(o1.loyalty.points, 600);
    assert.deepEqual(await tierOf(), ['Silver']);
    const o2 = await pay(uid('o'), { source_id: src }, 150000);
    // 1500 at Silver's rate lifts the member to Gold; the joining bonus (10) and the
    // leaving-Silver rule (7) follow once each, both doubled at Gold
    assert.deepEqual(o2.loyalty.entries.map((e) => e.points), [1500, 20, 14]);
    assert.deepEqual(await tierOf(), ['Gold']);
    const o3 = await pay(uid('o'), { source_id: src }, 10000);
    assert.equal(o3.loyalty.points, 200, 'Gold earns double');
    assert.equal(o3.loyalty.entries[0].details.earning_rule.id, orderRule.id);
    const refund = await api(t, 'PUT', `/v1/orders/${o2.id}`, { body: { status: 'CANCELED' } });
    assert.equal(refund.json.loyalty.points, -1500);
    // the bonuses stay; they were not earned by the order
    assert.deepEqual(await tierOf(), ['Silver'], 'points in the year fell below Gold');
    const latest = (await txs(m))[0];
    assert.deepEqual([latest.type, latest.points], ['POINTS_ACCRUAL', 3],
      'leaving Gold through a refund runs the tier.left rule too');
    const got = (await api(t, 'GET', `/v1/loyalties/members/${m.code}`)).json;
    assert.equal(got.tier_id, silver.id);
    await advance(400 * DAY); // into the next calendar year: nothing earned in it yet
    await poll(tierOf, (l) => l.length === 0, 'the tier to drop at the start of the year');
  });

  test('a rolling-window tier drops by itself when the points leave the window', async () => {
    const p = await program({ tier_qualification: { type: 'POINTS_IN_PERIOD', period: 'ROLLING_DAYS', days: 30 } });
    const tr = await api(t, 'POST', `/v1/loyalties/${p.id}/tiers`, { body: [{ name: 'Silver', points: { from: 100, to: null } }] });
    assert.equal(tr.status, 201, tr.text);
    const m = await member(p, uid('c'));
    assert.equal((await api(t, 'POST', `/v1/loyalties/members/${m.code}/balance`, { body: { points: 150 } })).status, 200);
    const tierOf = async () => (await api(t, 'GET', `/v1/loyalties/members/${m.code}/tiers`)).json.data.map((x) => x.name);
    assert.deepEqual(await tierOf(), ['Silver']);
    await advance(29 * DAY);
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(await tierOf(), ['Silver'], 'still inside the window');
    await advance(2 * DAY);
    await poll(tierOf, (l) => l.length === 0, 'the tier to drop when the points left the window');
    assert.equal((await card(m)).balance, 150, 'the points themselves stay');
  });
});


// Earning rules: create (array in, array out), list, get, update, enable/disable, delete,
// and validation. docs/api.md "Earning rules".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, sleep, uid, TS_RE } from './harness.mjs';
import { ERN_RE, enc, assertError, createProgram, createRules, newMember, expectCard } from './loyalty-helpers.mjs';

const PER_EURO = { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 1 } } } };
const REVIEW = { event: 'review', loyalty: { type: 'FIXED', points: 50 } };

function assertRuleShape(r, programId) {
  for (const f of ['id', 'event', 'active', 'loyalty', 'created_at', 'updated_at', 'object']) {
    assert.ok(Object.hasOwn(r, f), `rule has ${f}: ${JSON.stringify(r)}`);
  }
  assert.match(r.id, ERN_RE);
  assert.equal(r.object, 'earning_rule');
  assert.match(r.created_at, TS_RE);
  assert.match(r.updated_at, TS_RE);
  if (programId && Object.hasOwn(r, 'campaign_id')) assert.equal(r.campaign_id, programId);
}

describe('loyalty earning rules', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create an array → 201 and the array created; list; get', async () => {
    const p = await createProgram(t);
    const full = {
      event: 'ride.finished',
      loyalty: { type: 'PROPORTIONAL', calculation_type: 'CUSTOM_EVENT_METADATA', custom_event: { metadata: { property: 'minutes', every: 1, points: 2, above: 60 } } },
      start_date: '2026-01-01T00:00:00.000Z',
      expiration_date: '2099-01-01T00:00:00.000Z',
      validity_day_of_week: [1, 2, 3, 4, 5],
      validity_hours: { start_time: '06:00', end_time: '22:30' },
      pending_points: { period_days: 3 },
      limits: { per_member: { count: 3, period: 'WEEK' } },
      conditions: { 1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } } },
      metadata: { note: 'all fields' },
    };
    const created = await createRules(t, p.id, [PER_EURO, REVIEW, full]);
    const [a, b, c] = created;
    for (const r of created) assertRuleShape(r, p.id);
    assert.equal(new Set(created.map((r) => r.id)).size, 3);
    assert.equal(a.event, 'order.paid');
    assert.deepEqual(a.loyalty, PER_EURO.loyalty);
    assert.equal(a.active, true, 'active by default');
    assert.equal(b.event, 'review');
    assert.deepEqual(b.loyalty, REVIEW.loyalty);
    for (const [k, v] of Object.entries(full)) assert.deepEqual(c[k], v, `field ${k} echoed`);

    const l = await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules`);
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.object, 'list');
    assert.equal(l.json.data_ref, 'data');
    assert.equal(l.json.total, 3);
    const byId = new Map(l.json.data.map((r) => [r.id, r]));
    assert.equal(byId.size, 3);
    for (const r of created) assert.deepEqual(byId.get(r.id), r, 'listed as created');
    // by program name too
    const ln = await api(t, 'GET', `/v1/loyalties/${enc(p.name)}/earning-rules`);
    assert.equal(ln.json.total, 3);

    for (const r of created) {
      const g = await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`);
      assert.equal(g.status, 200, g.text);
      assert.deepEqual(g.json, r);
    }
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/ern_doesnotexist000000000`), 404, 'not_found');
    // a rule of another program → 404
    const q = await createProgram(t);
    assertError(await api(t, 'GET', `/v1/loyalties/${q.id}/earning-rules/${a.id}`), 404, 'not_found');
    assertError(await api(t, 'GET', '/v1/loyalties/camp_doesnotexist00000000/earning-rules'), 404, 'not_found');
    const lq = await api(t, 'GET', `/v1/loyalties/${q.id}/earning-rules`);
    assert.equal(lq.json.total, 0);
    assert.deepEqual(lq.json.data, []);
  });

  test('the rules list takes limit and page (docs/api.md "Conventions → Lists")', async () => {
    const p = await createProgram(t);
    const created = await createRules(t, p.id, [PER_EURO, REVIEW, { ...REVIEW, event: 'review2' }]);
    const l1 = await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules?limit=2`);
    assert.equal(l1.status, 200, l1.text);
    assert.equal(l1.json.data.length, 2, `limit=2: ${l1.text}`);
    assert.equal(l1.json.total, 3);
    assert.equal(l1.json.has_more, true);
    const l2 = await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules?limit=2&page=2`);
    assert.equal(l2.json.data.length, 1);
    assert.equal(l2.json.has_more, false);
    assert.deepEqual(new Set([...l1.json.data, ...l2.json.data].map((r) => r.id)), new Set(created.map((r) => r.id)));
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules?limit=0`), 400, 'invalid_query', 'limit');
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules?limit=101`), 400, 'invalid_query', 'limit');
  });

  test('the documented rule shape: fields not sent read as null, metadata as {}', async () => {
    const p = await createProgram(t);
    const [a] = await createRules(t, p.id, [PER_EURO]);
    const g = (await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${a.id}`)).json;
    for (const r of [a, g]) {
      for (const f of ['start_date', 'expiration_date', 'validity_day_of_week', 'validity_hours', 'pending_points', 'limits']) {
        assert.ok(Object.hasOwn(r, f), `rule shows ${f} (null when not set): ${JSON.stringify(r)}`);
        assert.equal(r[f], null, `${f} not set`);
      }
      assert.deepEqual(r.metadata, {}, 'metadata defaults to {}');
    }
  });

  test('created inactive stays inactive and earns nothing', async () => {
    const p = await createProgram(t);
    const [r] = await createRules(t, p.id, [{ ...REVIEW, active: false }]);
    assert.equal(r.active, false);
    const { member: m, sid } = await newMember(t, p.id);
    const ev = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: { source_id: sid } } });
    assert.equal(ev.status, 201, ev.text);
    assert.equal(ev.json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 0 });
  });

  test('update → 200, stored; the new points apply', async () => {
    const p = await createProgram(t);
    const [r] = await createRules(t, p.id, [REVIEW]);
    await sleep(5);
    const u = await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/${r.id}`, {
      body: { event: 'review', loyalty: { type: 'FIXED', points: 75 }, metadata: { v: 2 } },
    });
    assert.equal(u.status, 200, u.text);
    assertRuleShape(u.json, p.id);
    assert.equal(u.json.id, r.id);
    assert.equal(u.json.event, 'review');
    assert.deepEqual(u.json.loyalty, { type: 'FIXED', points: 75 });
    assert.deepEqual(u.json.metadata, { v: 2 });
    assert.equal(u.json.active, true);
    assert.equal(u.json.created_at, r.created_at);
    assert.ok(u.json.updated_at > r.updated_at, `updated_at advanced: ${r.updated_at} → ${u.json.updated_at}`);
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`)).json, u.json);

    const { member: m, sid } = await newMember(t, p.id);
    const ev = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: { source_id: sid } } });
    assert.equal(ev.json.loyalty.points, 75);
    await expectCard(t, m.id, { points: 75, balance: 75 });

    assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/ern_doesnotexist000000000`, { body: REVIEW }), 404, 'not_found');
    assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/${r.id}`, { body: { event: 'review', loyalty: { type: 'BOGUS' } } }),
      400, 'invalid_param', 'loyalty.type');
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`)).json, u.json, 'unchanged by a bad update');
  });

  test('update keeps the fields not sent (Voucherify\'s SDK sends only what changes)', async () => {
    const p = await createProgram(t);
    const [r] = await createRules(t, p.id, [{ ...REVIEW, metadata: { v: 1 }, pending_points: { period_days: 3 } }]);
    const u = await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/${r.id}`, { body: { loyalty: { type: 'FIXED', points: 60 } } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.event, 'review');
    assert.deepEqual(u.json.loyalty, { type: 'FIXED', points: 60 });
    assert.deepEqual(u.json.metadata, { v: 1 });
    assert.deepEqual(u.json.pending_points, { period_days: 3 });
    const m = await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/${r.id}`, { body: { metadata: { v: 2 } } });
    assert.equal(m.status, 200, m.text);
    assert.deepEqual([m.json.loyalty.points, m.json.metadata], [60, { v: 2 }]);
    // a merged result is validated whole; an unknown rule is still 404
    assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/${r.id}`, { body: { loyalty: { type: 'BOGUS' } } }),
      400, 'invalid_param', 'loyalty.type');
    assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}/earning-rules/ern_doesnotexist000000000`, { body: { metadata: {} } }), 404, 'not_found');
  });

  test('disable / enable → 200 with active; a disabled rule earns nothing', async () => {
    const p = await createProgram(t);
    const [r] = await createRules(t, p.id, [REVIEW]);
    const { member: m, sid } = await newMember(t, p.id);
    const review = () => api(t, 'POST', '/v1/events', { body: { event: 'review', customer: { source_id: sid } } });

    const d = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules/${r.id}/disable`);
    assert.equal(d.status, 200, d.text);
    assert.equal(d.json.id, r.id);
    assert.equal(d.json.active, false);
    assert.deepEqual(d.json.loyalty, r.loyalty);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`)).json.active, false);
    assert.equal((await review()).json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 0 });

    const e = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules/${r.id}/enable`);
    assert.equal(e.status, 200, e.text);
    assert.equal(e.json.active, true);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`)).json.active, true);
    assert.equal((await review()).json.loyalty.points, 50);
    await expectCard(t, m.id, { points: 50, balance: 50 });
    assertError(await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules/ern_doesnotexist000000000/enable`), 404, 'not_found');
  });

  test('delete → 204, then 404 and gone from the list', async () => {
    const p = await createProgram(t);
    const [r, keep] = await createRules(t, p.id, [REVIEW, PER_EURO]);
    const d = await api(t, 'DELETE', `/v1/loyalties/${p.id}/earning-rules/${r.id}`);
    assert.equal(d.status, 204, d.text);
    assert.equal(d.text, '');
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${r.id}`), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/loyalties/${p.id}/earning-rules/${r.id}`), 404, 'not_found');
    const l = await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules`);
    assert.deepEqual(l.json.data.map((x) => x.id), [keep.id]);
    assert.equal(l.json.total, 1);
    const { member: m, sid } = await newMember(t, p.id);
    assert.equal((await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: { source_id: sid } } })).json.loyalty.points, 0);
    await expectCard(t, m.id, { points: 0 });
  });

  describe('validation: 400 naming the field, nothing created', () => {
    const fixed = (extra) => ({ event: 'review', loyalty: { type: 'FIXED', points: 5 }, ...extra });
    const cases = [
      ['unknown loyalty.type', { event: 'review', loyalty: { type: 'BOGUS', points: 5 } }, 'invalid_param', 'loyalty.type'],
      ['missing loyalty', { event: 'review' }, 'missing_param', 'loyalty'],
      ['FIXED without points', { event: 'review', loyalty: { type: 'FIXED' } }, 'missing_param', 'loyalty.points'],
      ['FIXED with 0 points', { event: 'review', loyalty: { type: 'FIXED', points: 0 } }, 'invalid_param', 'loyalty.points'],
      ['PROPORTIONAL without every', { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { points: 1 } } } },
        'missing_param', 'every'],
      ['PROPORTIONAL with every 0', { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 0, points: 1 } } } },
        'invalid_param', 'every'],
      ['PROPORTIONAL with an unknown calculation_type', { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_ITEMS_COUNT', order: { amount: { every: 1, points: 1 } } } },
        'invalid_param', 'calculation_type'],
      ['CUSTOM_EVENT_METADATA without property', { event: 'ride', loyalty: { type: 'PROPORTIONAL', calculation_type: 'CUSTOM_EVENT_METADATA', custom_event: { metadata: { every: 1, points: 2 } } } },
        'invalid_param', 'property'],
      ['missing event', { loyalty: { type: 'FIXED', points: 5 } }, 'missing_param', 'event'],
      ['event "Bad Name"', fixed({ event: 'Bad Name' }), 'invalid_param', 'event'],
      ['event of 101 characters', fixed({ event: 'e'.repeat(101) }), 'invalid_param', 'event'],
      ['validity_day_of_week [7]', fixed({ validity_day_of_week: [7] }), 'invalid_param', 'validity_day_of_week'],
      ['validity_day_of_week [-1]', fixed({ validity_day_of_week: [1, -1] }), 'invalid_param', 'validity_day_of_week'],
      ['validity_hours 25:00', fixed({ validity_hours: { start_time: '25:00', end_time: '23:00' } }), 'invalid_param', 'validity_hours'],
      ['validity_hours 10:60', fixed({ validity_hours: { start_time: '09:00', end_time: '10:60' } }), 'invalid_param', 'validity_hours'],
      ['limits period YEAR', fixed({ limits: { per_member: { count: 3, period: 'YEAR' } } }), 'invalid_param', 'limits'],
      ['limits count 0', fixed({ limits: { per_member: { count: 0, period: 'DAY' } } }), 'invalid_param', 'limits'],
      ['start_date not a date', fixed({ start_date: 'tomorrow' }), 'invalid_param', 'start_date'],
      ['bad conditions operator', fixed({ conditions: { 1: { name: 'customer.metadata', property: 'pet', conditions: { $bogus: ['dog'] } } } }),
        'invalid_param', 'conditions.'],
      ['conditions with a bad logic', fixed({ conditions: { 1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } }, logic: '1 and 2' } }),
        'invalid_param', 'conditions.'],
      ['unknown field', fixed({ bogus_field: 1 }), 'invalid_param', 'bogus_field'],
    ];
    let p;
    before(async () => { p = await createProgram(t); });
    const count = async () => (await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules`)).json.total;

    for (const [what, rule, key, field] of cases) {
      test(what, async () => {
        const before = await count();
        const r = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [rule] });
        const b = assertError(r, 400, key, field);
        if (field === 'conditions.') assert.ok(b.details.startsWith('conditions.'), `details start with conditions.: ${b.details}`);
        assert.equal(await count(), before, 'nothing created');
      });
    }

    test('one bad rule in a batch → 400, none of the batch created', async () => {
      const before = await count();
      const r = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [REVIEW, fixed({ validity_day_of_week: [7] })] });
      assertError(r, 400, 'invalid_param', 'validity_day_of_week');
      assert.equal(await count(), before, 'the good rule was not created either');
    });

    test('valid edge values are accepted', async () => {
      const ok = await createRules(t, p.id, [
        fixed({ validity_day_of_week: [0, 1, 2, 3, 4, 5, 6] }),
        fixed({ validity_hours: { start_time: '00:00', end_time: '23:59' } }),
        fixed({ event: 'a.b-c_d9' }),
        fixed({ event: 'e'.repeat(100) }),
        fixed({ limits: { per_member: { count: 1, period: 'DAY' } } }),
        fixed({ limits: { per_member: { count: 2, period: 'MONTH' } } }),
        { event: 'customer.created', loyalty: { type: 'FIXED', points: 1 } },
      ]);
      assert.equal(ok.length, 7);
    });
  });
});

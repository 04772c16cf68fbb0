// Members: enrolment by customer reference or object, card codes, get by id and code on both
// paths, the wrong program in the path, listing. docs/api.md "Members".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, sleep, uid, TS_RE } from './harness.mjs';
import {
  DEFAULT_CHARSET, MEMBER_RE, CUST_RE, enc, assertError, assertInvariant, createProgram, enroll,
} from './loyalty-helpers.mjs';

function assertMemberShape(m, program, customerId) {
  for (const f of ['id', 'code', 'campaign', 'campaign_id', 'type', 'holder_id', 'active', 'loyalty_card', 'metadata',
    'created_at', 'updated_at', 'object']) {
    assert.ok(Object.hasOwn(m, f), `member has ${f}: ${JSON.stringify(m)}`);
  }
  assert.match(m.id, MEMBER_RE);
  assert.equal(typeof m.code, 'string');
  assert.equal(m.campaign, program.name);
  assert.equal(m.campaign_id, program.id);
  assert.equal(m.type, 'LOYALTY_CARD');
  assert.match(m.holder_id, CUST_RE);
  if (customerId) assert.equal(m.holder_id, customerId);
  assert.equal(m.active, true);
  assert.equal(m.object, 'voucher');
  assert.match(m.created_at, TS_RE);
  assert.match(m.updated_at, TS_RE);
  assertInvariant(m.loyalty_card);
}

const ZERO_CARD = { points: 0, balance: 0, pending_points: 0, expired_points: 0, subtracted_points: 0 };
// The card pattern "JC-########" with the program's charset.
const JC_RE = /^JC-[0-9A-Z]{8}$/;

describe('loyalty members', () => {
  let t;
  let prog; // pattern JC-########
  let progB; // a second program
  before(async () => {
    t = await startTreu();
    prog = await createProgram(t, { name: uid('Jeweller Club'), voucher: { code_config: { pattern: 'JC-########' } } });
    progB = await createProgram(t, { name: uid('Other Club') });
  });
  after(async () => { await t?.stop(); });

  const newCustomer = async (extra = {}) => {
    const r = await api(t, 'POST', '/v1/customers', { body: { source_id: uid('cu'), ...extra } });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };

  test('enroll an existing customer by source_id string → 201, a fresh card', async () => {
    const c = await newCustomer({ name: 'Ada' });
    const t0 = Date.now();
    const m = await enroll(t, prog.id, c.source_id, 201);
    assertMemberShape(m, prog, c.id);
    assert.match(m.code, JC_RE);
    for (const ch of m.code.slice(3)) assert.ok(DEFAULT_CHARSET.includes(ch), `${m.code}: ${ch} is in the default charset`);
    for (const [k, v] of Object.entries(ZERO_CARD)) assert.equal(m.loyalty_card[k], v, k);
    assert.equal(m.loyalty_card.next_expiration_date, null);
    assert.ok(m.loyalty_card.next_expiration_points === null || m.loyalty_card.next_expiration_points === 0,
      `next_expiration_points without expiring points: ${m.loyalty_card.next_expiration_points}`);
    assert.deepEqual(m.metadata, {});
    assert.ok(Math.abs(Date.parse(m.created_at) - t0) < 5000);
  });

  test('enroll by customer id string → 201; the same customer again → 200 with the same card', async () => {
    const c = await newCustomer();
    const m = await enroll(t, prog.id, c.id, 201);
    assertMemberShape(m, prog, c.id);
    const again = await enroll(t, prog.id, c.id, 200);
    assert.equal(again.id, m.id);
    assert.equal(again.code, m.code);
    assert.equal(again.holder_id, c.id);
    // by source_id and by object: still the same card
    assert.equal((await enroll(t, prog.id, c.source_id, 200)).id, m.id);
    assert.equal((await enroll(t, prog.id, { source_id: c.source_id }, 200)).id, m.id);
    // one member in the list for that customer
    const l = await api(t, 'GET', `/v1/loyalties/${prog.id}/members?limit=100`);
    assert.equal(l.json.vouchers.filter((v) => v.holder_id === c.id).length, 1);
  });

  test('enroll by an unknown source_id string → 404 not_found, no customer created', async () => {
    const sid = uid('nobody');
    const before = (await api(t, 'GET', `/v1/loyalties/${prog.id}/members?limit=1`)).json.total;
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: sid } }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: 'cust_doesnotexist000000000' } }), 404, 'not_found');
    assertError(await api(t, 'GET', `/v1/customers/${enc(sid)}`), 404, 'not_found');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${prog.id}/members?limit=1`)).json.total, before, 'no member created');
  });

  test('an enrolment refused with 404 under an Idempotency-Key fails the same way after the customer exists', async () => {
    const sid = uid('later');
    const key = uid('k');
    const body = { customer: sid };
    const a = await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body, headers: { 'Idempotency-Key': key } });
    assertError(a, 404, 'not_found');
    assert.equal((await api(t, 'POST', '/v1/customers', { body: { source_id: sid } })).status, 201);
    const b = await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body, headers: { 'Idempotency-Key': key } });
    assert.equal(b.status, 404, b.text);
    assert.equal(b.text, a.text, 'the stored answer');
    assert.equal(b.headers['idempotent-replayed'], 'true');
    // without the key the customer is enrolled now
    await enroll(t, prog.id, sid, 201);
  });

  test('concurrent enrolments of one customer → one card', async () => {
    const c = await newCustomer();
    const rs = await Promise.all(Array.from({ length: 8 }, () =>
      api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: c.id } })));
    const statuses = rs.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 201], rs.map((r) => r.text).join('\n'));
    assert.equal(new Set(rs.map((r) => r.json.id)).size, 1);
    const l = await api(t, 'GET', `/v1/loyalties/${prog.id}/members?limit=100`);
    assert.equal(l.json.vouchers.filter((v) => v.holder_id === c.id).length, 1);
  });

  test('enroll by customer object → customer created (201), then upserted with the same card (200)', async () => {
    const sid = uid('obj');
    const m = await enroll(t, prog.id, { source_id: sid, name: 'Grace', metadata: { pet: 'dog' } }, 201);
    const c = await api(t, 'GET', `/v1/customers/${enc(sid)}`);
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.name, 'Grace');
    assert.deepEqual(c.json.metadata, { pet: 'dog' });
    assertMemberShape(m, prog, c.json.id);
    const again = await enroll(t, prog.id, { source_id: sid, name: 'Grace Hopper' }, 200);
    assert.equal(again.id, m.id);
    assert.equal(again.code, m.code);
    const c2 = await api(t, 'GET', `/v1/customers/${enc(sid)}`);
    assert.equal(c2.json.id, c.json.id, 'same customer');
    assert.equal(c2.json.name, 'Grace Hopper', 'customer fields updated (upsert)');
    // the same customer in another program → a different card (201)
    const other = await enroll(t, progB.id, { source_id: sid }, 201);
    assert.notEqual(other.id, m.id);
    assert.notEqual(other.code, m.code);
    assert.equal(other.holder_id, c.json.id);
    assert.equal(other.campaign_id, progB.id);
  });

  test('enroll: program by name works; unknown program → 404; bad bodies → 400', async () => {
    const c = await newCustomer();
    const m = await enroll(t, prog.name, c.id, 201);
    assert.equal(m.campaign_id, prog.id);
    assertError(await api(t, 'POST', '/v1/loyalties/camp_doesnotexist00000000/members', { body: { customer: c.id } }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: {} }), 400, 'missing_param', 'customer');
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: 42 } }), 400, 'invalid_param', 'customer');
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: c.id, bogus: 1 } }), 400, 'invalid_param', 'bogus');
    assertError(await api(t, 'POST', `/v1/loyalties/${prog.id}/members`, { body: { customer: { source_id: uid('x'), email: 'nope' } } }),
      400, 'invalid_param', 'email');
  });

  test('card codes: unique, pattern kept, only charset characters', async () => {
    const codes = new Set();
    for (let i = 0; i < 15; i++) {
      const m = await enroll(t, prog.id, { source_id: uid('many') }, 201);
      assert.match(m.code, JC_RE);
      for (const ch of m.code.slice(3)) assert.ok(DEFAULT_CHARSET.includes(ch), `${m.code}`);
      codes.add(m.code);
    }
    assert.equal(codes.size, 15);
    // prefix + length + postfix, custom charset
    const p = await createProgram(t, { voucher: { code_config: { prefix: 'PRE-', postfix: '-X', length: 7, charset: 'AB' } } });
    assert.deepEqual(p.voucher.code_config, { pattern: null, charset: 'AB', prefix: 'PRE-', postfix: '-X', length: 7 });
    const m = await enroll(t, p.id, { source_id: uid('pre') }, 201);
    assert.match(m.code, /^PRE-[AB]{7}-X$/);
  });

  test('get by id and by code on both paths; wrong program → 404', async () => {
    const c = await newCustomer();
    const m = await enroll(t, prog.id, c.id, 201);
    for (const path of [
      `/v1/loyalties/${prog.id}/members/${m.id}`,
      `/v1/loyalties/${prog.id}/members/${enc(m.code)}`,
      `/v1/loyalties/${enc(prog.name)}/members/${m.id}`,
      `/v1/loyalties/members/${m.id}`,
      `/v1/loyalties/members/${enc(m.code)}`,
    ]) {
      const g = await api(t, 'GET', path);
      assert.equal(g.status, 200, `${path}: ${g.text}`);
      assert.deepEqual(g.json, m, path);
    }
    // the member exists, but not in that program
    for (const path of [
      `/v1/loyalties/${progB.id}/members/${m.id}`,
      `/v1/loyalties/${progB.id}/members/${enc(m.code)}`,
      `/v1/loyalties/${progB.id}/members/${m.id}/transactions`,
      `/v1/loyalties/${progB.id}/members/${m.id}/points-expiration`,
      `/v1/loyalties/camp_doesnotexist00000000/members/${m.id}`,
    ]) {
      assertError(await api(t, 'GET', path), 404, 'not_found');
    }
    assertError(await api(t, 'POST', `/v1/loyalties/${progB.id}/members/${m.id}/balance`, { body: { points: 10 } }), 404, 'not_found');
    assert.equal((await api(t, 'GET', `/v1/loyalties/members/${m.id}`)).json.loyalty_card.balance, 0, 'nothing added');
    for (const path of ['/v1/loyalties/members/v_doesnotexist000000000', `/v1/loyalties/${prog.id}/members/NOPE-CODE`]) {
      assertError(await api(t, 'GET', path), 404, 'not_found');
    }
  });

  test('list: data_ref vouchers, newest first, total, paging; unknown program → 404', async () => {
    const p = await createProgram(t);
    const ms = [];
    for (let i = 0; i < 4; i++) {
      ms.push(await enroll(t, p.id, { source_id: uid('lst') }, 201));
      await sleep(4);
    }
    const r = await api(t, 'GET', `/v1/loyalties/${p.id}/members`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.data_ref, 'vouchers');
    assert.equal(r.json.total, 4);
    assert.equal(r.json.has_more, false);
    assert.deepEqual(r.json.vouchers.map((v) => v.id), [...ms].reverse().map((m) => m.id), 'newest first');
    const byId = new Map(ms.map((m) => [m.id, m]));
    for (const v of r.json.vouchers) assert.deepEqual(v, byId.get(v.id));
    const p1 = await api(t, 'GET', `/v1/loyalties/${p.id}/members?limit=3`);
    assert.deepEqual(p1.json.vouchers.map((v) => v.id), [ms[3].id, ms[2].id, ms[1].id]);
    assert.equal(p1.json.has_more, true);
    const p2 = await api(t, 'GET', `/v1/loyalties/${enc(p.name)}/members?limit=3&page=2`);
    assert.deepEqual(p2.json.vouchers.map((v) => v.id), [ms[0].id]);
    assert.equal(p2.json.has_more, false);
    assert.equal(p2.json.total, 4);
    assertError(await api(t, 'GET', '/v1/loyalties/camp_doesnotexist00000000/members'), 404, 'not_found');
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}/members?limit=0`), 400, 'invalid_query', 'limit');
  });
});

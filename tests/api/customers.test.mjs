// Customers CRUD, upsert, partial update and listing, per docs/api.md "Customers".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, sleep, uid, TS_RE } from './harness.mjs';

const FIELDS = ['id', 'source_id', 'name', 'description', 'email', 'phone', 'birthdate', 'timezone',
  'address', 'metadata', 'consents', 'created_at', 'updated_at', 'object'];
const ID_RE = /^cust_[A-Za-z0-9]+$/;

function assertCustomerShape(c) {
  assert.ok(c && typeof c === 'object', `customer is an object: ${JSON.stringify(c)}`);
  for (const f of FIELDS) assert.ok(Object.hasOwn(c, f), `customer has field ${f}: ${JSON.stringify(c)}`);
  assert.match(c.id, ID_RE);
  assert.equal(c.object, 'customer');
  assert.match(c.created_at, TS_RE);
  assert.match(c.updated_at, TS_RE);
}

const full = (sid) => ({
  source_id: sid,
  name: 'Ada Lovelace',
  description: 'first programmer',
  email: 'ada@example.com',
  phone: '+44 20 7946 0000',
  birthdate: '1990-12-10',
  timezone: 'Europe/London',
  address: { city: 'London', state: null, line_1: "12 St James's Sq", line_2: null, country: 'GB', postal_code: 'SW1Y 4JH' },
  metadata: { pet: 'cat', skin_tone: 'warm', nested: { n: 1, list: [1, 'two', null, true] } },
  consents: { email: true },
});

describe('customers', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create with every field → 201 and the customer as sent', async () => {
    const sid = uid('shop');
    const body = full(sid);
    const before = Date.now();
    const r = await api(t, 'POST', '/v1/customers', { body });
    const afterMs = Date.now();
    assert.equal(r.status, 201, r.text);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    const c = r.json;
    assertCustomerShape(c);
    assert.equal(c.source_id, sid);
    assert.equal(c.name, body.name);
    assert.equal(c.description, body.description);
    assert.equal(c.email, body.email);
    assert.equal(c.phone, body.phone);
    assert.equal(c.birthdate, body.birthdate);
    assert.equal(c.timezone, body.timezone);
    assert.deepEqual(c.address, body.address);
    assert.deepEqual(c.metadata, body.metadata);
    assert.deepEqual(Object.keys(c.consents), ['email']);
    assert.equal(c.consents.email.granted, true);
    assert.match(c.consents.email.updated_at, TS_RE);
    assert.equal(c.created_at, c.updated_at);
    const created = Date.parse(c.created_at);
    assert.ok(created >= before - 2000 && created <= afterMs + 2000,
      `created_at ${c.created_at} is server time now`);

    const g = await api(t, 'GET', `/v1/customers/${c.id}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, c);
  });

  test('create with {} → 201 anonymous customer with null fields', async () => {
    const r = await api(t, 'POST', '/v1/customers', { body: {} });
    assert.equal(r.status, 201, r.text);
    assertCustomerShape(r.json);
    for (const f of ['source_id', 'name', 'description', 'email', 'phone', 'birthdate', 'timezone', 'address']) {
      assert.equal(r.json[f], null, `${f} is null`);
    }
    assert.ok(r.json.metadata === null || (typeof r.json.metadata === 'object' && Object.keys(r.json.metadata).length === 0),
      `metadata empty: ${JSON.stringify(r.json.metadata)}`);
    const g = await api(t, 'GET', `/v1/customers/${r.json.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, r.json);
  });

  test('ids are unique', async () => {
    const a = await api(t, 'POST', '/v1/customers', { body: {} });
    const b = await api(t, 'POST', '/v1/customers', { body: {} });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.json.id, b.json.id);
  });

  test('read-only fields id/object/created_at/updated_at are ignored', async () => {
    const body = { id: 'cust_MadeUpByCaller', object: 'customer', created_at: '2000-01-01T00:00:00.000Z',
      updated_at: '2000-01-01T00:00:00.000Z', name: 'Read Only' };
    const r = await api(t, 'POST', '/v1/customers', { body });
    assert.equal(r.status, 201, r.text);
    assert.notEqual(r.json.id, 'cust_MadeUpByCaller');
    assert.notEqual(r.json.created_at, '2000-01-01T00:00:00.000Z');
    assert.notEqual(r.json.updated_at, '2000-01-01T00:00:00.000Z');
    assert.equal(r.json.name, 'Read Only');
    assert.equal((await api(t, 'GET', '/v1/customers/cust_MadeUpByCaller')).status, 404);
  });

  test('a fetched customer can be sent back unchanged (PUT and POST upsert)', async () => {
    const sid = uid('back');
    const c = await api(t, 'POST', '/v1/customers', { body: full(sid) });
    assert.equal(c.status, 201, c.text);
    const fetched = (await api(t, 'GET', `/v1/customers/${c.json.id}`)).json;
    await sleep(5);
    const put = await api(t, 'PUT', `/v1/customers/${c.json.id}`, { body: fetched });
    assert.equal(put.status, 200, put.text);
    const granted = (c) => Object.fromEntries(Object.entries(c.consents ?? {}).map(([k, v]) => [k, v.granted]));
    const same = FIELDS.filter((x) => x !== 'updated_at' && x !== 'consents');
    for (const f of same) assert.deepEqual(put.json[f], fetched[f], f);
    assert.deepEqual(granted(put.json), granted(fetched));
    const post = await api(t, 'POST', '/v1/customers', { body: fetched });
    assert.equal(post.status, 200, post.text);
    assert.equal(post.json.id, c.json.id);
    for (const f of same) assert.deepEqual(post.json[f], fetched[f], f);
    assert.deepEqual(granted(post.json), granted(fetched));
  });

  test('upsert by source_id → 200, same id, sent fields updated, others kept', async () => {
    const sid = uid('ups');
    const a = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'A', email: 'a@example.com', metadata: { k: 1 } } });
    assert.equal(a.status, 201, a.text);
    await sleep(5);
    const b = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'B', phone: '12345' } });
    assert.equal(b.status, 200, b.text);
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.json.source_id, sid);
    assert.equal(b.json.name, 'B');
    assert.equal(b.json.phone, '12345');
    assert.equal(b.json.email, 'a@example.com');
    assert.deepEqual(b.json.metadata, { k: 1 });
    assert.equal(b.json.created_at, a.json.created_at);
    assert.ok(b.json.updated_at > a.json.updated_at, `updated_at advanced: ${a.json.updated_at} → ${b.json.updated_at}`);

    const g = await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, b.json);
  });

  test('get by id and by source_id', async () => {
    const sid = uid('get');
    const c = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'Getter' } });
    assert.equal(c.status, 201);
    const byId = await api(t, 'GET', `/v1/customers/${c.json.id}`);
    const bySid = await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`);
    assert.equal(byId.status, 200);
    assert.equal(bySid.status, 200);
    assert.deepEqual(byId.json, c.json);
    assert.deepEqual(bySid.json, c.json);
    const miss = await api(t, 'GET', '/v1/customers/cust_doesnotexist000000000');
    assert.equal(miss.status, 404);
    assert.equal(miss.json?.key, 'not_found');
    const miss2 = await api(t, 'GET', `/v1/customers/${encodeURIComponent(uid('nosuch'))}`);
    assert.equal(miss2.status, 404);
    assert.equal(miss2.json?.key, 'not_found');
  });

  // source_id is any string of 1–255 bytes; in the path it is percent-encoded
  for (const sid of ['a b+c', 'ü-ß 東京', 'x?y#z&w=1', '%41%2F', 'shop/4711']) {
    test(`get, update, delete by a percent-encoded source_id ${JSON.stringify(sid)}`, async () => {
      const c = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'enc' } });
      assert.ok(c.status === 201 || c.status === 200, c.text);
      assert.equal(c.json.source_id, sid);
      const p = `/v1/customers/${encodeURIComponent(sid)}`;
      const g = await api(t, 'GET', p);
      assert.equal(g.status, 200, `GET ${p}: ${g.text}`);
      assert.equal(g.json.id, c.json.id);
      const u = await api(t, 'PUT', `/v1/customers/${c.json.id}`, { body: { name: 'enc2' } });
      assert.equal(u.status, 200);
      assert.equal((await api(t, 'GET', p)).json?.name, 'enc2');
      assert.equal((await api(t, 'DELETE', `/v1/customers/${c.json.id}`)).status, 204);
      assert.equal((await api(t, 'GET', p)).status, 404);
    });
  }

  test('update: partial, null clears, metadata replaced', async () => {
    const sid = uid('upd');
    const c = (await api(t, 'POST', '/v1/customers', { body: full(sid) })).json;
    await sleep(5);
    const r = await api(t, 'PUT', `/v1/customers/${c.id}`, {
      body: { name: 'Augusta', description: null, metadata: { only: 'this' } },
    });
    assert.equal(r.status, 200, r.text);
    const u = r.json;
    assertCustomerShape(u);
    assert.equal(u.id, c.id);
    assert.equal(u.name, 'Augusta');
    assert.equal(u.description, null);
    assert.deepEqual(u.metadata, { only: 'this' });
    // not sent → kept
    for (const f of ['source_id', 'email', 'phone', 'birthdate', 'timezone', 'address', 'consents', 'created_at']) {
      assert.deepEqual(u[f], c[f], `${f} kept`);
    }
    assert.ok(u.updated_at > c.updated_at, `updated_at advanced: ${c.updated_at} → ${u.updated_at}`);
    const g = await api(t, 'GET', `/v1/customers/${c.id}`);
    assert.deepEqual(g.json, u);

    // every nullable field cleared with null
    const clr = await api(t, 'PUT', `/v1/customers/${c.id}`, {
      body: { name: null, email: null, phone: null, birthdate: null, timezone: null, address: null, metadata: null },
    });
    assert.equal(clr.status, 200, clr.text);
    for (const f of ['name', 'email', 'phone', 'birthdate', 'timezone', 'address']) {
      assert.equal(clr.json[f], null, `${f} cleared`);
    }
    // docs/api.md does not say whether cleared metadata reads back as null or {}; both mean
    // "no metadata" (treu answers {} for a customer created without metadata, too)
    assert.ok(clr.json.metadata === null || (typeof clr.json.metadata === 'object' && !Array.isArray(clr.json.metadata) &&
      Object.keys(clr.json.metadata).length === 0), `metadata cleared: ${JSON.stringify(clr.json.metadata)}`);
    assert.equal(clr.json.source_id, sid);
    const g2 = await api(t, 'GET', `/v1/customers/${c.id}`);
    assert.deepEqual(g2.json, clr.json);

    // empty update keeps everything
    const same = await api(t, 'PUT', `/v1/customers/${c.id}`, { body: {} });
    assert.equal(same.status, 200, same.text);
    for (const f of FIELDS.filter((f) => f !== 'updated_at')) assert.deepEqual(same.json[f], clr.json[f], f);
  });

  test('update: consents merge per channel with their own updated_at', async () => {
    const c = (await api(t, 'POST', '/v1/customers', { body: { consents: { email: true } } })).json;
    assert.equal(c.consents.email.granted, true);
    const emailAt = c.consents.email.updated_at;
    await sleep(5);
    const r1 = await api(t, 'PUT', `/v1/customers/${c.id}`, { body: { consents: { sms: false } } });
    assert.equal(r1.status, 200, r1.text);
    assert.deepEqual(Object.keys(r1.json.consents).sort(), ['email', 'sms']);
    assert.deepEqual(r1.json.consents.email, { granted: true, updated_at: emailAt });
    assert.equal(r1.json.consents.sms.granted, false);
    assert.match(r1.json.consents.sms.updated_at, TS_RE);
    assert.ok(r1.json.consents.sms.updated_at > emailAt, 'sms consent time is the later change');
    const smsAt = r1.json.consents.sms.updated_at;
    await sleep(5);
    const r2 = await api(t, 'PUT', `/v1/customers/${c.id}`, { body: { consents: { email: false, push: true } } });
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(Object.keys(r2.json.consents).sort(), ['email', 'push', 'sms']);
    assert.equal(r2.json.consents.email.granted, false);
    assert.ok(r2.json.consents.email.updated_at > emailAt, 'email consent change recorded with a new time');
    assert.deepEqual(r2.json.consents.sms, { granted: false, updated_at: smsAt });
    assert.equal(r2.json.consents.push.granted, true);
    for (const ch of Object.values(r2.json.consents)) assert.match(ch.updated_at, TS_RE);
    const g = await api(t, 'GET', `/v1/customers/${c.id}`);
    assert.deepEqual(g.json.consents, r2.json.consents);
  });

  test('update unknown customer → 404', async () => {
    const r = await api(t, 'PUT', '/v1/customers/cust_doesnotexist000000000', { body: { name: 'x' } });
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json?.key, 'not_found');
  });

  test('update source_id to another customer\'s → 409 duplicate_found, nothing changed', async () => {
    const s1 = uid('dup1');
    const s2 = uid('dup2');
    const a = (await api(t, 'POST', '/v1/customers', { body: { source_id: s1, name: 'one' } })).json;
    const b = (await api(t, 'POST', '/v1/customers', { body: { source_id: s2, name: 'two' } })).json;
    const r = await api(t, 'PUT', `/v1/customers/${b.id}`, { body: { source_id: s1, name: 'changed' } });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json?.code, 409);
    assert.equal(r.json?.key, 'duplicate_found');
    assert.deepEqual((await api(t, 'GET', `/v1/customers/${b.id}`)).json, b);
    assert.deepEqual((await api(t, 'GET', `/v1/customers/${a.id}`)).json, a);
    // changing to a fresh source_id works
    const s3 = uid('dup3');
    const ok = await api(t, 'PUT', `/v1/customers/${b.id}`, { body: { source_id: s3 } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.source_id, s3);
    assert.equal((await api(t, 'GET', `/v1/customers/${encodeURIComponent(s3)}`)).json.id, b.id);
    assert.equal((await api(t, 'GET', `/v1/customers/${encodeURIComponent(s2)}`)).status, 404);
  });

  test('delete → 204 without body, then 404', async () => {
    const sid = uid('del');
    const c = (await api(t, 'POST', '/v1/customers', { body: { source_id: sid } })).json;
    const d = await api(t, 'DELETE', `/v1/customers/${c.id}`);
    assert.equal(d.status, 204, d.text);
    assert.equal(d.text, '');
    assert.equal((await api(t, 'GET', `/v1/customers/${c.id}`)).status, 404);
    assert.equal((await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`)).status, 404);
    const again = await api(t, 'DELETE', `/v1/customers/${c.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.json?.key, 'not_found');
    assert.equal((await api(t, 'PUT', `/v1/customers/${c.id}`, { body: { name: 'x' } })).status, 404);
    // the source_id is free again: a new customer
    const n = await api(t, 'POST', '/v1/customers', { body: { source_id: sid } });
    assert.equal(n.status, 201, n.text);
    assert.notEqual(n.json.id, c.id);
  });

  test('text: UTF-8 kept byte for byte, tab allowed', async () => {
    const name = 'Zoë 東京 🚲\tx';
    const r = await api(t, 'POST', '/v1/customers', { body: { name, metadata: { 'ключ': 'значение', emoji: '🎉' } } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, name);
    assert.deepEqual(r.json.metadata, { 'ключ': 'значение', emoji: '🎉' });
    assert.deepEqual((await api(t, 'GET', `/v1/customers/${r.json.id}`)).json, r.json);
  });

  test('valid edge values accepted', async () => {
    const cases = [
      { birthdate: '1900-01-01' },
      { birthdate: '2024-02-29' },
      { birthdate: new Date().toISOString().slice(0, 10) },
      { timezone: 'America/Argentina/Buenos_Aires' },
      { timezone: 'UTC' },
      { phone: '+1 (555) 010-99.00' },
      { email: 'first.last+tag@sub.example.co.uk' },
      { metadata: {} },
      { address: { city: 'Berlin' } },
      { consents: { email: false, sms: true, push: false } },
    ];
    for (const body of cases) {
      const r = await api(t, 'POST', '/v1/customers', { body });
      assert.equal(r.status, 201, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
      const [k, v] = Object.entries(body)[0];
      if (k === 'consents') {
        for (const [ch, g] of Object.entries(v)) assert.equal(r.json.consents[ch].granted, g);
      } else if (k === 'address') {
        assert.equal(r.json.address.city, 'Berlin');
      } else {
        assert.deepEqual(r.json[k], v, k);
      }
    }
  });
});

describe('customers list', () => {
  let t;
  const cs = []; // in creation order
  const DUP = 'dup-list@example.com';
  before(async () => {
    t = await startTreu();
    for (let i = 0; i < 12; i++) {
      const email = i % 4 === 1 ? DUP : `c${i}@example.com`;
      const r = await api(t, 'POST', '/v1/customers', { body: { source_id: `list-${i}`, email, name: `C${i}` } });
      assert.equal(r.status, 201, r.text);
      cs.push(r.json);
      await sleep(4); // distinct milliseconds, so the order is defined
    }
  });
  after(async () => { await t?.stop(); });

  const ids = (r) => r.json.customers.map((c) => c.id);
  const rev = () => [...cs].reverse().map((c) => c.id);
  const asc = () => cs.map((c) => c.id);
  const q = (o) => '/v1/customers?' + new URLSearchParams(o).toString();
  const plus = (ts, ms) => new Date(Date.parse(ts) + ms).toISOString();

  test('created_at strictly increases in creation order', () => {
    for (let i = 1; i < cs.length; i++) assert.ok(cs[i].created_at > cs[i - 1].created_at);
  });

  test('default: newest first, limit 10, shape', async () => {
    const r = await api(t, 'GET', '/v1/customers');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json).sort(), ['customers', 'data_ref', 'has_more', 'object', 'total']);
    assert.equal(r.json.object, 'list');
    assert.equal(r.json.data_ref, 'customers');
    assert.equal(r.json.total, 12);
    assert.equal(r.json.has_more, true);
    assert.deepEqual(ids(r), rev().slice(0, 10));
    // items are full customers equal to GET
    const byId = new Map(cs.map((c) => [c.id, c]));
    for (const c of r.json.customers) assert.deepEqual(c, byId.get(c.id));
  });

  test('limit and page', async () => {
    const p1 = await api(t, 'GET', q({ limit: 5 }));
    assert.deepEqual(ids(p1), rev().slice(0, 5));
    assert.equal(p1.json.has_more, true);
    assert.equal(p1.json.total, 12);
    const p2 = await api(t, 'GET', q({ limit: 5, page: 2 }));
    assert.deepEqual(ids(p2), rev().slice(5, 10));
    assert.equal(p2.json.has_more, true);
    const p3 = await api(t, 'GET', q({ limit: 5, page: 3 }));
    assert.deepEqual(ids(p3), rev().slice(10, 12));
    assert.equal(p3.json.has_more, false);
    assert.equal(p3.json.total, 12);
    const p4 = await api(t, 'GET', q({ limit: 5, page: 4 }));
    assert.equal(p4.status, 200);
    assert.deepEqual(ids(p4), []);
    assert.equal(p4.json.has_more, false);
    assert.equal(p4.json.total, 12);
    const all = await api(t, 'GET', q({ limit: 100 }));
    assert.deepEqual(ids(all), rev());
    assert.equal(all.json.has_more, false);
    const one = await api(t, 'GET', q({ limit: 1 }));
    assert.deepEqual(ids(one), [cs[11].id]);
    const exact = await api(t, 'GET', q({ limit: 12 }));
    assert.equal(exact.json.has_more, false);
  });

  test('order', async () => {
    const a = await api(t, 'GET', q({ order: 'created_at', limit: 100 }));
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(ids(a), asc());
    const d = await api(t, 'GET', q({ order: '-created_at', limit: 100 }));
    assert.deepEqual(ids(d), rev());
    const a2 = await api(t, 'GET', q({ order: 'created_at', limit: 5, page: 2 }));
    assert.deepEqual(ids(a2), asc().slice(5, 10));
  });

  test('email filter (exact)', async () => {
    const r = await api(t, 'GET', q({ email: DUP }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ids(r), [cs[9].id, cs[5].id, cs[1].id]);
    assert.equal(r.json.total, 3);
    assert.equal(r.json.has_more, false);
    const one = await api(t, 'GET', q({ email: 'c0@example.com' }));
    assert.deepEqual(ids(one), [cs[0].id]);
    const none = await api(t, 'GET', q({ email: 'c0@example' }));
    assert.deepEqual(ids(none), []);
    assert.equal(none.json.total, 0);
    const paged = await api(t, 'GET', q({ email: DUP, limit: 2 }));
    assert.deepEqual(ids(paged), [cs[9].id, cs[5].id]);
    assert.equal(paged.json.total, 3);
    assert.equal(paged.json.has_more, true);
  });

  test('created_at[after] / created_at[before]', async () => {
    const after5 = plus(cs[5].created_at, 1); // strictly between cs[5] and cs[6]
    const r = await api(t, 'GET', q({ 'created_at[after]': after5, limit: 100 }));
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(ids(r), rev().slice(0, 6));
    assert.equal(r.json.total, 6);
    const before3 = plus(cs[3].created_at, -1); // strictly between cs[2] and cs[3]
    const b = await api(t, 'GET', q({ 'created_at[before]': before3, limit: 100 }));
    assert.deepEqual(ids(b), [cs[2].id, cs[1].id, cs[0].id]);
    assert.equal(b.json.total, 3);
    const both = await api(t, 'GET', q({ 'created_at[after]': plus(cs[3].created_at, 1),
      'created_at[before]': plus(cs[7].created_at, -1), order: 'created_at' }));
    assert.deepEqual(ids(both), [cs[4].id, cs[5].id, cs[6].id]);
    assert.equal(both.json.total, 3);
    // literal brackets in the query work too
    const lit = await api(t, 'GET', `/v1/customers?created_at[after]=${encodeURIComponent(after5)}&limit=100`);
    assert.equal(lit.status, 200, lit.text);
    assert.deepEqual(ids(lit), rev().slice(0, 6));
  });

  test('starting_after', async () => {
    const d = await api(t, 'GET', q({ starting_after: cs[8].id, limit: 3 }));
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(ids(d), [cs[7].id, cs[6].id, cs[5].id]);
    assert.equal(d.json.has_more, true);
    const a = await api(t, 'GET', q({ starting_after: cs[2].id, limit: 3, order: 'created_at' }));
    assert.deepEqual(ids(a), [cs[3].id, cs[4].id, cs[5].id]);
    assert.equal(a.json.has_more, true);
    const tail = await api(t, 'GET', q({ starting_after: cs[9].id, limit: 3, order: 'created_at' }));
    assert.deepEqual(ids(tail), [cs[10].id, cs[11].id]);
    assert.equal(tail.json.has_more, false);
    const last = await api(t, 'GET', q({ starting_after: cs[0].id }));
    assert.deepEqual(ids(last), []);
    assert.equal(last.json.has_more, false);
    // page is ignored with starting_after
    const pg = await api(t, 'GET', q({ starting_after: cs[8].id, limit: 3, page: 3 }));
    assert.deepEqual(ids(pg), [cs[7].id, cs[6].id, cs[5].id]);
  });

  test('starting_after as a created_at instant (Voucherify\'s cursor, what its SDK\'s scroll sends)', async () => {
    const d = await api(t, 'GET', q({ starting_after: cs[8].created_at, limit: 3 }));
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(ids(d), [cs[7].id, cs[6].id, cs[5].id]);
    assert.equal(d.json.has_more, true);
    // ascending: everything in the cursor's millisecond counts as seen
    const a = await api(t, 'GET', q({ starting_after: cs[2].created_at, limit: 3, order: 'created_at' }));
    assert.deepEqual(ids(a), [cs[3].id, cs[4].id, cs[5].id]);
    const first = await api(t, 'GET', q({ starting_after: '1970-01-01T00:00:00Z', order: 'created_at', limit: 100 }));
    assert.deepEqual(ids(first), asc());
    const future = await api(t, 'GET', q({ starting_after: '2200-01-01T00:00:00Z', limit: 100 }));
    assert.deepEqual(ids(future), rev());
    // the tighter of created_at[before] and the cursor wins
    const both = await api(t, 'GET', q({ starting_after: cs[8].created_at, 'created_at[before]': plus(cs[5].created_at, 1) }));
    assert.deepEqual(ids(both), [cs[5].id, cs[4].id, cs[3].id, cs[2].id, cs[1].id, cs[0].id]);
    const bad = await api(t, 'GET', q({ starting_after: 'cust_nope' }));
    assert.equal(bad.status, 400, bad.text);
  });

  test('deleted customers leave the list', async () => {
    const extra = await api(t, 'POST', '/v1/customers', { body: { email: 'gone@example.com' } });
    assert.equal(extra.status, 201);
    assert.equal((await api(t, 'GET', '/v1/customers')).json.total, 13);
    assert.equal((await api(t, 'DELETE', `/v1/customers/${extra.json.id}`)).status, 204);
    const r = await api(t, 'GET', q({ limit: 100 }));
    assert.equal(r.json.total, 12);
    assert.deepEqual(ids(r), rev());
  });
});

// Idempotency-Key semantics, docs/api.md "Conventions → Idempotency".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, uid } from './harness.mjs';

describe('idempotency', () => {
  let t;
  let other;
  before(async () => {
    t = await startTreu();
    other = await createProject(t.dataDir, 'other');
  });
  after(async () => { await t?.stop(); });

  const byEmail = async (email, project) => {
    const r = await api(t, 'GET', `/v1/customers?email=${encodeURIComponent(email)}&limit=100`, project ? { project } : {});
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const total = async () => (await api(t, 'GET', '/v1/customers?limit=1')).json.total;
  const idem = (key, extra = {}) => ({ headers: { 'Idempotency-Key': key }, ...extra });

  test('same key + same body → stored answer byte for byte, Idempotent-Replayed, one customer', async () => {
    const key = uid('k');
    const email = `${uid('idem')}@example.com`;
    const body = { email, name: 'Once', metadata: { n: 1 } };
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    assert.equal(a.status, 201, a.text);
    assert.notEqual(a.headers['idempotent-replayed'], 'true', 'the first answer is not a replay');
    const b = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    assert.equal(b.status, 201, b.text);
    assert.equal(b.text, a.text, 'byte-identical body');
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.match(b.headers['content-type'] ?? '', /^application\/json/);
    const c = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    assert.equal(c.text, a.text);
    assert.equal(c.headers['idempotent-replayed'], 'true');
    const l = await byEmail(email);
    assert.equal(l.total, 1);
    assert.equal(l.customers[0].id, a.json.id);
    // the same body without the key creates another customer (the key is what dedupes)
    const d = await api(t, 'POST', '/v1/customers', { body });
    assert.equal(d.status, 201);
    assert.notEqual(d.json.id, a.json.id);
    assert.equal((await byEmail(email)).total, 2);
  });

  test('the replay is the stored answer, not a fresh read', async () => {
    const key = uid('k');
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body: { name: 'before' } }));
    assert.equal(a.status, 201);
    const u = await api(t, 'PUT', `/v1/customers/${a.json.id}`, { body: { name: 'after' } });
    assert.equal(u.status, 200);
    const b = await api(t, 'POST', '/v1/customers', idem(key, { body: { name: 'before' } }));
    assert.equal(b.status, 201);
    assert.equal(b.text, a.text);
    assert.equal(b.json.name, 'before');
    assert.equal((await api(t, 'GET', `/v1/customers/${a.json.id}`)).json.name, 'after', 'replay changed nothing');
  });

  test('same key + different body → 409 idempotency_conflict naming the field', async () => {
    const key = uid('k');
    const email = `${uid('conf')}@example.com`;
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body: { email, name: 'first' } }));
    assert.equal(a.status, 201, a.text);
    const n = await total();
    const b = await api(t, 'POST', '/v1/customers', idem(key, { body: { email, name: 'second' } }));
    assert.equal(b.status, 409, b.text);
    assert.equal(b.json?.code, 409);
    assert.equal(b.json?.key, 'idempotency_conflict');
    assert.equal(b.json?.request_id, b.headers['x-request-id']);
    assert.equal(typeof b.json?.details, 'string');
    assert.ok(b.json.details.includes('name'), `details name the differing field: ${b.json.details}`);
    assert.ok(!b.json.details.includes('email'), `email did not differ: ${b.json.details}`);
    assert.notEqual(b.headers['idempotent-replayed'], 'true');

    const c = await api(t, 'POST', '/v1/customers', idem(key, { body: { email, name: 'first', phone: '123' } }));
    assert.equal(c.status, 409, c.text);
    assert.equal(c.json?.key, 'idempotency_conflict');
    assert.ok(c.json.details.includes('phone'), `details name the added field: ${c.json.details}`);

    assert.equal(await total(), n, 'nothing created by the conflicting requests');
    assert.equal((await api(t, 'GET', `/v1/customers/${a.json.id}`)).json.name, 'first');
    // the original still replays
    const d = await api(t, 'POST', '/v1/customers', idem(key, { body: { email, name: 'first' } }));
    assert.equal(d.text, a.text);
  });

  test('same key on a different route or method → 409', async () => {
    const key = uid('k');
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body: { name: 'route' } }));
    assert.equal(a.status, 201);
    const b = await api(t, 'PUT', `/v1/customers/${a.json.id}`, idem(key, { body: { name: 'route' } }));
    assert.equal(b.status, 409, b.text);
    assert.equal(b.json?.key, 'idempotency_conflict');
    assert.equal((await api(t, 'GET', `/v1/customers/${a.json.id}`)).json.updated_at, a.json.updated_at);
    const c = await api(t, 'POST', '/client/v1/customers', idem(key, { keys: 'client', body: { name: 'route' } }));
    assert.equal(c.status, 409, c.text);
    assert.equal(c.json?.key, 'idempotency_conflict');
  });

  // docs/api.md: a request refused by validation is not stored (Stripe's rule), so the
  // same bad body fails the same way again, and a corrected body under the key runs.
  test('a 400 first attempt is not stored: the same bad body fails again, nothing replayed', async () => {
    const key = uid('k');
    const n = await total();
    const body = { email: 'bob', name: 'bad' };
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    assert.equal(a.status, 400, a.text);
    assert.equal(a.json?.key, 'invalid_param');
    const b = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    assert.equal(b.status, 400, b.text);
    assert.equal(b.json?.key, 'invalid_param');
    assert.equal(b.json?.details, a.json.details);
    assert.notEqual(b.json.request_id, a.json.request_id, 'a fresh answer, not a stored one');
    assert.equal(b.headers['idempotent-replayed'], undefined);
    assert.equal(await total(), n);
  });

  test('a 400 first attempt is not stored: a corrected body under the same key runs once', async () => {
    const key = uid('k');
    const n = await total();
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body: { email: 'bob', name: 'bad' } }));
    assert.equal(a.status, 400, a.text);
    const fixed = { body: { email: 'bob@example.com', name: 'fixed' } };
    const c = await api(t, 'POST', '/v1/customers', idem(key, fixed));
    assert.equal(c.status, 201, c.text);
    const d = await api(t, 'POST', '/v1/customers', idem(key, fixed));
    assert.equal(d.status, 201, d.text);
    assert.equal(d.text, c.text, 'the successful run is stored and replayed');
    assert.equal(d.headers['idempotent-replayed'], 'true');
    assert.equal(await total(), n + 1);
  });

  test('a 404 first attempt (PUT unknown id) is stored too', async () => {
    const key = uid('k');
    const path = '/v1/customers/cust_doesnotexist000000000';
    const a = await api(t, 'PUT', path, idem(key, { body: { name: 'x' } }));
    assert.equal(a.status, 404, a.text);
    const b = await api(t, 'PUT', path, idem(key, { body: { name: 'x' } }));
    assert.equal(b.status, 404);
    assert.equal(b.text, a.text);
  });

  test('PUT and DELETE replay', async () => {
    const c = (await api(t, 'POST', '/v1/customers', { body: { name: 'p' } })).json;
    const kp = uid('k');
    const p1 = await api(t, 'PUT', `/v1/customers/${c.id}`, idem(kp, { body: { name: 'q' } }));
    assert.equal(p1.status, 200);
    await api(t, 'PUT', `/v1/customers/${c.id}`, { body: { name: 'r' } });
    const p2 = await api(t, 'PUT', `/v1/customers/${c.id}`, idem(kp, { body: { name: 'q' } }));
    assert.equal(p2.status, 200);
    assert.equal(p2.text, p1.text);
    assert.equal(p2.headers['idempotent-replayed'], 'true');
    assert.equal((await api(t, 'GET', `/v1/customers/${c.id}`)).json.name, 'r', 'replayed PUT did not run again');

    const kd = uid('k');
    const d1 = await api(t, 'DELETE', `/v1/customers/${c.id}`, idem(kd));
    assert.equal(d1.status, 204);
    const d2 = await api(t, 'DELETE', `/v1/customers/${c.id}`, idem(kd));
    assert.equal(d2.status, 204, 'a replayed DELETE answers the stored 204, not 404');
    assert.equal(d2.text, '');
    assert.equal(d2.headers['idempotent-replayed'], 'true');
  });

  test('keys are per project: the same key in two projects both succeed', async () => {
    const key = uid('shared');
    const body = { name: 'tenant', email: `${uid('t')}@example.com` };
    const a = await api(t, 'POST', '/v1/customers', idem(key, { body }));
    const b = await api(t, 'POST', '/v1/customers', idem(key, { project: other, body }));
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.notEqual(a.json.id, b.json.id);
    assert.notEqual(b.headers['idempotent-replayed'], 'true');
    assert.equal((await byEmail(body.email)).total, 1);
    assert.equal((await byEmail(body.email, other)).total, 1);
    assert.equal((await api(t, 'GET', `/v1/customers/${b.json.id}`, { project: other })).status, 200);
    // and a different body under that key in the other project still conflicts there only
    const c = await api(t, 'POST', '/v1/customers', idem(key, { project: other, body: { ...body, name: 'x' } }));
    assert.equal(c.status, 409);
  });

  test('Idempotency-Key limits: 255 printable chars ok, 256 or non-printable → 400', async () => {
    const ok = await api(t, 'POST', '/v1/customers', idem('k'.repeat(255), { body: {} }));
    assert.equal(ok.status, 201, ok.text);
    const n = await total();
    const long = await api(t, 'POST', '/v1/customers', idem('k'.repeat(256), { body: {} }));
    assert.equal(long.status, 400, long.text);
    const tab = await api(t, 'POST', '/v1/customers', idem('a\tb', { body: {} }));
    assert.equal(tab.status, 400, tab.text);
    assert.equal(await total(), n);
  });

  test('20 concurrent requests with the same key and body → identical answers, one customer', async () => {
    const key = uid('conc');
    const email = `${uid('conc')}@example.com`;
    const body = { email, name: 'Concurrent', metadata: { x: [1, 2, 3] } };
    const rs = await Promise.all(Array.from({ length: 20 },
      () => api(t, 'POST', '/v1/customers', idem(key, { body }))));
    const statuses = rs.map((r) => r.status);
    assert.deepEqual(statuses, Array(20).fill(201), `statuses: ${statuses}`);
    for (const r of rs) assert.equal(r.text, rs[0].text);
    const replayed = rs.filter((r) => r.headers['idempotent-replayed'] === 'true').length;
    assert.equal(replayed, 19, 'exactly one answer is original');
    const l = await byEmail(email);
    assert.equal(l.total, 1);
    assert.equal(l.customers[0].id, rs[0].json.id);
  });

  test('20 concurrent requests with the same key and source_id upsert → identical answers', async () => {
    const key = uid('conc');
    const sid = uid('csid');
    const rs = await Promise.all(Array.from({ length: 20 },
      () => api(t, 'POST', '/v1/customers', idem(key, { body: { source_id: sid, name: 'u' } }))));
    for (const r of rs) {
      assert.equal(r.status, 201, r.text);
      assert.equal(r.text, rs[0].text);
    }
  });
});

describe('idempotency retention', () => {
  let t;
  before(async () => { t = await startTreu({ testClock: true }); });
  after(async () => { await t?.stop(); });

  test('a stored answer is kept for 24 hours, then purged so the key may be used again', async () => {
    const key = uid('idem-retention');
    const send = (email) => api(t, 'POST', '/v1/customers', { body: { email }, headers: { 'Idempotency-Key': key } });
    const a = await send('first@example.com');
    assert.equal(a.status, 201, a.text);
    assert.equal((await send('second@example.com')).status, 409, 'within the retention the key is taken');
    // 23 hours later it is still kept.
    assert.equal((await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: 23 * 3600 } })).status, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await send('second@example.com')).status, 409, 'kept for 24 hours');
    // Past 24 hours the scheduler purges it (the test clock wakes it).
    assert.equal((await api(t, 'POST', '/v1/_test/clock', { body: { advance_seconds: 2 * 3600 } })).status, 200);
    let b;
    for (let i = 0; i < 50; i++) {
      b = await send('second@example.com');
      if (b.status !== 409) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(b.status, 201, `after the purge the key runs anew: ${b.text}`);
    assert.notEqual(b.json.id, a.json.id);
  });
});

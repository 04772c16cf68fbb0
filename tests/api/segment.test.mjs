// Segment-style ingestion: /v1/identify, /v1/track, /v1/batch with a write key (a key's
// token as the HTTP Basic user name). Traits → customer fields and merged metadata,
// track → custom events through the earning rules, idempotent by messageId, limits, bad
// input, project isolation. docs/api.md "Segment-style ingestion".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, keysCreate, keysRevoke, uid } from './harness.mjs';
import { enc, assertError, createProgram, createRules, enroll } from './loyalty-helpers.mjs';

const basic = (token, password = '') => `Basic ${Buffer.from(`${token}:${password}`).toString('base64')}`;

describe('segment-style ingestion', () => {
  let t;
  let p;
  let seg; // seg(path, body, token?) with the project's client token as the write key
  before(async () => {
    t = await startTreu();
    p = await createProgram(t, { name: uid('Seg') });
    await createRules(t, p.id, [{ event: 'review', loyalty: { type: 'FIXED', points: 50 } }]);
    seg = (path, body, token = t.keys.client_token, extra = {}) =>
      api(t, 'POST', path, { keys: 'none', headers: { Authorization: basic(token) }, body, ...extra });
  });
  after(async () => { await t?.stop(); });

  const customer = async (ref) => {
    const r = await api(t, 'GET', `/v1/customers/${enc(ref)}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };

  test('a missing, malformed or unknown write key gets 401; a revoked one too', async () => {
    let r = await api(t, 'POST', '/v1/track', { keys: 'none', body: { userId: 'u', event: 'x' } });
    assertError(r, 401, 'unauthorized');
    r = await api(t, 'POST', '/v1/track', { keys: 'none', headers: { Authorization: 'Basic !!!' }, body: {} });
    assertError(r, 401, 'unauthorized');
    r = await api(t, 'POST', '/v1/track', { keys: 'none', headers: { Authorization: 'Bearer abc' }, body: {} });
    assertError(r, 401, 'unauthorized');
    r = await seg('/v1/track', { userId: 'u', event: 'x' }, 'not-a-token');
    assertError(r, 401, 'unauthorized');
    assert.match(r.json.details, /invalid write key/);
    // the app id is not a token
    r = await seg('/v1/track', { userId: 'u', event: 'x' }, t.keys.client_app_id);
    assertError(r, 401, 'unauthorized');
    // key-pair headers are not a write key
    r = await api(t, 'POST', '/v1/track', { keys: 'client', body: { userId: 'u', event: 'x' } });
    assertError(r, 401, 'unauthorized');
    const k = await keysCreate(t.dataDir, t.keys.project_id, 'client');
    r = await seg('/v1/page', { userId: 'u' }, k.app_token);
    assert.equal(r.status, 200, r.text);
    await keysRevoke(t.dataDir, k.app_id);
    r = await seg('/v1/page', { userId: 'u' }, k.app_token);
    assertError(r, 401, 'unauthorized');
    assert.match(r.json.details, /revoked/);
  });

  test('server and client tokens both work as write keys; a password is ignored', async () => {
    let r = await seg('/v1/identify', { userId: uid('u') }, t.keys.app_token);
    assert.equal(r.status, 200, r.text);
    r = await api(t, 'POST', '/v1/identify', {
      keys: 'none', headers: { Authorization: basic(t.keys.client_token, 'x') }, body: { userId: uid('u') },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
  });

  test('identify creates the customer with its traits mapped to fields, the rest in metadata', async () => {
    const id = uid('user');
    const r = await seg('/v1/identify', {
      userId: id,
      messageId: uid('m'),
      timestamp: '2024-01-01T00:00:00.000Z',
      traits: {
        firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', phone: '+44 20 7946 0000',
        birthday: '1990-12-10T00:00:00.000Z',
        address: { street: '1 Analytical Way', city: 'London', postalCode: 'N1', country: 'GB', state: null },
        plan: 'gold', pets: ['cat'], createdAt: '2020-01-01T00:00:00Z',
      },
      context: { ip: '1.2.3.4' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    assert.deepEqual(r.json.ignored_traits, []);
    const c = await customer(id);
    assert.equal(r.json.customer.id, c.id);
    assert.equal(c.source_id, id);
    assert.equal(c.name, 'Ada Lovelace');
    assert.equal(c.email, 'ada@example.com');
    assert.equal(c.phone, '+44 20 7946 0000');
    assert.equal(c.birthdate, '1990-12-10');
    assert.deepEqual(c.address, { city: 'London', state: null, line_1: '1 Analytical Way', line_2: null, country: 'GB', postal_code: 'N1' });
    assert.deepEqual(c.metadata, { plan: 'gold', pets: ['cat'], createdAt: '2020-01-01T00:00:00Z' });
  });

  test('a later identify updates fields and merges metadata instead of replacing it', async () => {
    const id = uid('user');
    await seg('/v1/identify', { userId: id, traits: { name: 'Bo', plan: 'free', city: 'Oslo' } });
    const r = await seg('/v1/identify', { userId: id, traits: { name: 'Bo Ek', plan: 'gold', dog: true } });
    assert.equal(r.status, 200, r.text);
    const c = await customer(id);
    assert.equal(c.name, 'Bo Ek');
    assert.deepEqual(c.metadata, { plan: 'gold', city: 'Oslo', dog: true });
  });

  test('invalid trait values are not stored; the call still succeeds and names them', async () => {
    const id = uid('user');
    await seg('/v1/identify', { userId: id, traits: { email: 'ok@example.com' } });
    const r = await seg('/v1/identify', {
      userId: id, traits: { email: 'not-an-email', phone: 'call me', birthday: '2999-01-01', name: 42, vip: 1 },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual([...r.json.ignored_traits].sort(), ['birthday', 'email', 'name', 'phone']);
    const c = await customer(id);
    assert.equal(c.email, 'ok@example.com');
    assert.equal(c.phone, null);
    assert.equal(c.birthdate, null);
    assert.equal(c.name, null);
    assert.deepEqual(c.metadata, { vip: 1 });
  });

  test('track earns the rule\'s points once per messageId and keeps properties as metadata', async () => {
    const id = uid('user');
    await seg('/v1/identify', { userId: id, traits: { email: 'x@example.com' } });
    const m = await enroll(t, p.id, id);
    const mid = uid('msg');
    const body = { userId: id, event: 'review', messageId: mid, properties: { stars: 5 } };
    let r = await seg('/v1/track', body);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.success, true);
    assert.equal(r.json.event.event, 'review');
    assert.equal(r.json.event.source_id, mid);
    assert.deepEqual(r.json.event.metadata, { stars: 5 });
    assert.equal(r.json.event.loyalty.points, 50);
    r = await seg('/v1/track', body);
    assert.equal(r.status, 200, r.text);
    // the same messageId again earns nothing more, in a batch too
    r = await seg('/v1/batch', { batch: [{ type: 'track', ...body }] });
    assert.equal(r.status, 200, r.text);
    let g = await api(t, 'GET', `/v1/loyalties/${enc(p.id)}/members/${enc(m.id)}`);
    assert.equal(g.json.loyalty_card.balance, 50);
    // a new messageId earns again
    r = await seg('/v1/track', { ...body, messageId: uid('msg') });
    assert.equal(r.json.event.loyalty.points, 50);
    g = await api(t, 'GET', `/v1/loyalties/${enc(p.id)}/members/${enc(m.id)}`);
    assert.equal(g.json.loyalty_card.balance, 100);
  });

  test('event names are lowered to the rules\' alphabet: "Review" and "review" earn alike', async () => {
    const id = uid('user');
    await seg('/v1/identify', { userId: id });
    await enroll(t, p.id, id);
    let r = await seg('/v1/track', { userId: id, event: 'Review' });
    assert.equal(r.json.event.event, 'review');
    assert.equal(r.json.event.loyalty.points, 50);
    r = await seg('/v1/track', { userId: id, event: 'Order Completed (web)' });
    assert.equal(r.json.event.event, 'order_completed__web_');
  });

  test('track for an unknown user creates the customer', async () => {
    const id = uid('user');
    const r = await seg('/v1/track', { userId: id, event: 'signup' });
    assert.equal(r.status, 200, r.text);
    const c = await customer(id);
    assert.equal(r.json.event.customer_id, c.id);
  });

  test('anonymous calls keep a customer "anonymous:<id>" that the userId later takes over', async () => {
    const anon = uid('anon');
    let r = await seg('/v1/identify', { anonymousId: anon, traits: { color: 'red' } });
    assert.equal(r.status, 200, r.text);
    const a = await customer(`anonymous:${anon}`);
    assert.deepEqual(a.metadata, { color: 'red' });
    const id = uid('user');
    r = await seg('/v1/identify', { userId: id, anonymousId: anon, traits: { size: 'M' } });
    assert.equal(r.status, 200, r.text);
    const c = await customer(id);
    assert.equal(c.id, a.id);
    assert.deepEqual(c.metadata, { color: 'red', size: 'M' });
    const gone = await api(t, 'GET', `/v1/customers/${enc(`anonymous:${anon}`)}`);
    assert.equal(gone.status, 404);
  });

  test('a batch applies every item in order; page, screen, group and alias are ignored', async () => {
    const id = uid('user');
    const r = await seg('/v1/batch', {
      writeKey: 'ignored', sentAt: new Date().toISOString(),
      batch: [
        { type: 'identify', userId: id, traits: { name: 'First' } },
        { type: 'page', userId: id, name: 'Home' },
        { type: 'screen', userId: id, name: 'Home' },
        { type: 'group', userId: id, groupId: 'g' },
        { type: 'alias', userId: id, previousId: 'p' },
        { type: 'identify', userId: id, traits: { name: 'Second' } },
        { type: 'track', userId: id, event: 'visit', messageId: uid('m') },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { success: true, skipped: [] });
    const c = await customer(id);
    assert.equal(c.name, 'Second');
  });

  test('a batch skips unusable items and names them; the rest is applied', async () => {
    const id = uid('user');
    const r = await seg('/v1/batch', {
      batch: [
        { type: 'track', userId: id },
        { type: 'identify', traits: { name: 'nobody' } },
        { type: 'identify', userId: id, traits: { name: 'Kept' } },
        { type: 'track', userId: 7, event: 'x' },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.skipped.map((s) => [s.index, s.type]), [[0, 'track'], [1, 'identify'], [3, 'track']]);
    assert.match(r.json.skipped[0].message, /event/);
    assert.match(r.json.skipped[1].message, /userId or anonymousId/);
    assert.equal((await customer(id)).name, 'Kept');
  });

  test('bad input gets 400 with a message, and nothing is written', async () => {
    const id = uid('user');
    let r = await seg('/v1/track', { userId: id });
    assertError(r, 400, 'invalid_param');
    assert.match(r.json.details, /event/);
    r = await seg('/v1/identify', { traits: {} });
    assertError(r, 400, 'invalid_param');
    r = await seg('/v1/identify', { userId: id, traits: [1] });
    assertError(r, 400, 'invalid_param');
    r = await seg('/v1/track', { userId: id, event: 'x', properties: 'no' });
    assertError(r, 400, 'invalid_param');
    r = await seg('/v1/track', null, undefined, { raw: '{"userId": ' });
    assertError(r, 400, 'invalid_json');
    r = await seg('/v1/batch', { batch: {} });
    assertError(r, 400, 'invalid_param');
    r = await seg('/v1/batch', {});
    assertError(r, 400, 'missing_param');
    r = await seg('/v1/batch', { batch: [{ type: 'identify', userId: id }, { type: 'boom', userId: id }] });
    assertError(r, 400, 'invalid_param');
    assert.match(r.json.details, /batch\[1\]\.type/);
    r = await seg('/v1/batch', { batch: [{ type: 'identify', userId: id }, 5] });
    assertError(r, 400, 'invalid_param');
    const g = await api(t, 'GET', `/v1/customers/${enc(id)}`);
    assert.equal(g.status, 404, 'a refused batch writes nothing');
  });

  test('32 KB per call and 500 KB per batch, at the boundary', async () => {
    const id = uid('user');
    const call = (pad) => JSON.stringify({ userId: id, event: 'e', properties: { pad } });
    const fits = 'x'.repeat(32 * 1024 - call('').length);
    let r = await seg('/v1/track', null, undefined, { raw: call(fits) });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    r = await seg('/v1/track', null, undefined, { raw: call(`${fits}x`) });
    assertError(r, 400, 'payload_too_large');
    // one item over 32 KB refuses the batch
    r = await seg('/v1/batch', { batch: [{ type: 'track', userId: id, event: 'e', properties: { pad: 'y'.repeat(33 * 1024) } }] });
    assertError(r, 400, 'payload_too_large');
    // a batch over 500 KB
    const items = [];
    for (let i = 0; i < 17; i++) items.push({ type: 'track', userId: id, event: 'e', properties: { pad: 'z'.repeat(31 * 1024) } });
    r = await seg('/v1/batch', { batch: items });
    assertError(r, 400, 'payload_too_large');
    // 15 such items (about 465 KB) are fine
    r = await seg('/v1/batch', { batch: items.slice(0, 15) });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    // merged metadata past the customer's 16 KB is refused, not truncated
    r = await seg('/v1/identify', { userId: id, traits: { some: 'w'.repeat(10 * 1024) } });
    assert.equal(r.status, 200, r.text.slice(0, 300));
    r = await seg('/v1/identify', { userId: id, traits: { more: 'w'.repeat(10 * 1024) } });
    assertError(r, 400, 'invalid_param');
    assert.match(r.json.details, /metadata/);
  });

  test('another project\'s write key cannot write into this project', async () => {
    const other = await createProject(t.dataDir, 'other');
    const id = uid('user');
    const r = await seg('/v1/identify', { userId: id, traits: { name: 'Elsewhere' } }, other.client_token);
    assert.equal(r.status, 200, r.text);
    const here = await api(t, 'GET', `/v1/customers/${enc(id)}`);
    assert.equal(here.status, 404);
    const there = await api(t, 'GET', `/v1/customers/${enc(id)}`, { project: other });
    assert.equal(there.status, 200);
    assert.equal(there.json.name, 'Elsewhere');
  });
});

describe('segment-style ingestion: rate limits', () => {
  let t;
  before(async () => { t = await startTreu({ args: ['--rate-limit-client', '3'] }); });
  after(async () => { await t?.stop(); });

  test('a write key is limited like its key: past the bucket, 429 with Retry-After', async () => {
    const headers = { Authorization: basic(t.keys.client_token) };
    const rs = await Promise.all(Array.from({ length: 8 }, () =>
      api(t, 'POST', '/v1/page', { keys: 'none', headers, body: { userId: 'u' } })));
    const codes = rs.map((r) => r.status);
    assert.ok(codes.includes(200), codes.join());
    const limited = rs.find((r) => r.status === 429);
    assert.ok(limited, `expected a 429 among ${codes.join()}`);
    assertError(limited, 429, 'too_many_requests');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });
});

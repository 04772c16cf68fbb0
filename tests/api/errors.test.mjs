// Every 4xx of docs/api.md for the customer routes, the error shape, request ids, and the
// promise that bad input never changes anything.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, rawHttp, uid } from './harness.mjs';

const MiB = 1024 * 1024;

/* Sends an oversized body. A server that answers 413 before reading the whole body and then
 * closes may reset the connection before the client has read the answer; retry a few
 * times on a connection error so only a server that never lets the 413 through fails. */
async function oversized(t, body) {
  let last;
  for (let i = 0; i < 4; i++) {
    try {
      return await rawHttp(t, 'POST', '/v1/customers', { body, headers: { 'Content-Type': 'application/json' } });
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`4 attempts: connection failed before a readable answer (${last.code ?? last.message}); ` +
    'the server should drain or linger before closing so the client can read the 413');
}

/* Asserts status, key and the documented error shape; `field` must appear in details. */
function assertError(r, status, key, field) {
  const ctx = `${status} ${key}: got ${r.status} ${r.text}`;
  assert.equal(r.status, status, ctx);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/, ctx);
  const b = r.json;
  assert.ok(b && typeof b === 'object' && !Array.isArray(b), ctx);
  for (const f of ['code', 'key', 'message', 'details', 'request_id']) {
    assert.ok(Object.hasOwn(b, f), `error body has ${f}: ${r.text}`);
  }
  assert.equal(b.code, status, ctx);
  assert.equal(b.key, key, ctx);
  assert.equal(typeof b.message, 'string');
  assert.ok(b.message.length > 0, 'message is not empty');
  assert.ok(r.headers['x-request-id'], 'X-Request-Id header present');
  assert.equal(b.request_id, r.headers['x-request-id'], 'request_id equals X-Request-Id');
  if (field !== undefined) {
    assert.equal(typeof b.details, 'string', `details is a string: ${r.text}`);
    assert.ok(b.details.includes(field), `details names "${field}": ${b.details}`);
  }
  return b;
}

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (n) => new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);
/* an email of exactly n bytes with labels ≤ 63 */
function emailOfLength(n) {
  const local = 'user';
  let domain = '';
  const rest = n - local.length - 1 - 4; // minus ".com"
  let left = rest;
  const labels = [];
  while (left > 0) {
    let len = Math.min(63, left);
    if (left - len === 1) len -= 1; // never leave a lone dot
    labels.push('d'.repeat(len));
    left -= len;
    if (left > 0) left -= 1; // the dot
  }
  domain = labels.join('.') + '.com';
  const e = `${local}@${domain}`;
  assert.equal(Buffer.byteLength(e), n, `built email length ${e.length}`);
  return e;
}

describe('errors', () => {
  let t;
  let base; // a customer every bad write tries to touch
  let total; // expected list total

  const snapshot = async () => {
    const l = await api(t, 'GET', '/v1/customers?limit=1');
    assert.equal(l.status, 200, l.text);
    const g = await api(t, 'GET', `/v1/customers/${base.id}`);
    assert.equal(g.status, 200, g.text);
    return { total: l.json.total, base: g.json };
  };
  const assertUnchanged = async (what) => {
    const s = await snapshot();
    assert.equal(s.total, total, `${what}: customer count unchanged`);
    assert.deepEqual(s.base, base, `${what}: base customer unchanged`);
  };

  before(async () => {
    t = await startTreu();
    const r = await api(t, 'POST', '/v1/customers', {
      body: { source_id: 'base', name: 'Base', email: 'base@example.com', phone: '123', birthdate: '1980-01-01',
        timezone: 'Europe/Berlin', address: { city: 'Berlin' }, metadata: { a: 1 }, consents: { email: true } },
    });
    assert.equal(r.status, 201, r.text);
    base = r.json;
    total = 1;
  });
  after(async () => { await t?.stop(); });

  describe('invalid_json', () => {
    const bad = {
      'truncated': '{"name": "x"',
      'unquoted key': '{name: "x"}',
      'trailing comma': '{"name":"x",}',
      'trailing garbage': '{"name":"x"} x',
      'two objects': '{"name":"x"}{"name":"y"}',
      'single quotes': "{'name':'x'}",
      'bare word': 'hello',
      'NaN value': '{"metadata":{"n":NaN}}',
      'array': '[]',
      'array of object': '[{"name":"x"}]',
      'string': '"x"',
      'number': '42',
      'null': 'null',
      'true': 'true',
      'depth 40 (objects)': '{"metadata":' + '{"a":'.repeat(39) + '1' + '}'.repeat(39) + '}',
      'depth 40 (arrays)': '{"metadata":{"a":' + '['.repeat(38) + ']'.repeat(38) + '}}',
      'depth 1000': '{"metadata":' + '{"a":'.repeat(999) + '1' + '}'.repeat(999) + '}',
    };
    for (const [name, raw] of Object.entries(bad)) {
      test(`POST ${name} → 400 invalid_json`, async () => {
        assertError(await api(t, 'POST', '/v1/customers', { raw }), 400, 'invalid_json');
        assertError(await api(t, 'PUT', `/v1/customers/${base.id}`, { raw }), 400, 'invalid_json');
        await assertUnchanged(name);
      });
    }

    const utf8 = {
      'invalid bytes ff fe in a string': Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]),
      'overlong encoding c0 af': Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      'truncated sequence e2 82': Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]),
      'encoded surrogate ed a0 80': Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      'invalid bytes in a key': Buffer.concat([Buffer.from('{"metadata":{"'), Buffer.from([0xfe]), Buffer.from('":1}}')]),
      'invalid bytes in metadata value': Buffer.concat([Buffer.from('{"metadata":{"k":"'), Buffer.from([0x80]), Buffer.from('"}}')]),
    };
    for (const [name, raw] of Object.entries(utf8)) {
      test(`POST ${name} → 400 invalid_json`, async () => {
        assertError(await api(t, 'POST', '/v1/customers', { raw }), 400, 'invalid_json');
        assertError(await api(t, 'PUT', `/v1/customers/${base.id}`, { raw }), 400, 'invalid_json');
        await assertUnchanged(name);
      });
    }

    test('lone surrogate escape \\ud800 → 400', async () => {
      const r = await api(t, 'POST', '/v1/customers', { raw: '{"name":"a\\ud800b"}' });
      assert.equal(r.status, 400, r.text);
      assert.ok(['invalid_json', 'invalid_param'].includes(r.json?.key), r.text);
      await assertUnchanged('lone surrogate');
    });

    // cJSON would cut a string at an escaped NUL, so the body is refused whole rather than
    // stored shortened (docs/api.md, invalid_json).
    test('a string with \\u0000 → 400 invalid_json naming the escape, nothing stored', async () => {
      for (const [method, path] of [['POST', '/v1/customers'], ['PUT', `/v1/customers/${base.id}`]]) {
        const r = await api(t, method, path, { body: { name: 'a\u0000b' } });
        assertError(r, 400, 'invalid_json');
        assert.match(r.json.details, /\\u0000/, r.text);
      }
      await assertUnchanged('NUL in name');
    });

    test('depth 10 is accepted', async () => {
      const md = JSON.parse('{"a":'.repeat(9) + '1' + '}'.repeat(9));
      const r = await api(t, 'POST', '/v1/customers', { body: { metadata: md } });
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(r.json.metadata, md);
      total += 1;
      await assertUnchanged('depth 10');
    });
  });

  describe('invalid_param', () => {
    // [label, body patch, field named in details]
    const cases = [
      // wrong types
      ['source_id number', { source_id: 123 }, 'source_id'],
      ['source_id bool', { source_id: true }, 'source_id'],
      ['source_id object', { source_id: {} }, 'source_id'],
      ['source_id empty', { source_id: '' }, 'source_id'],
      ['name number', { name: 5 }, 'name'],
      ['name array', { name: ['x'] }, 'name'],
      ['name object', { name: { first: 'x' } }, 'name'],
      ['description bool', { description: false }, 'description'],
      ['email number', { email: 1 }, 'email'],
      ['phone number', { phone: 4915112345 }, 'phone'],
      ['birthdate number', { birthdate: 19901210 }, 'birthdate'],
      ['timezone number', { timezone: 1 }, 'timezone'],
      ['address string', { address: 'London' }, 'address'],
      ['address array', { address: [] }, 'address'],
      ['address number', { address: 7 }, 'address'],
      ['address.city number', { address: { city: 5 } }, 'city'],
      ['address.country object', { address: { country: {} } }, 'country'],
      ['metadata array', { metadata: [1, 2] }, 'metadata'],
      ['metadata string', { metadata: 'x' }, 'metadata'],
      ['metadata number', { metadata: 3 }, 'metadata'],
      ['consents array', { consents: ['email'] }, 'consents'],
      ['consents string', { consents: 'email' }, 'consents'],
      ['consents bool', { consents: true }, 'consents'],
      ['consents.email string', { consents: { email: 'yes' } }, 'email'],
      ['consents.email number', { consents: { email: 1 } }, 'email'],
      ['consents.sms null', { consents: { sms: null } }, 'sms'],
      // unknown fields and enum values
      ['unknown field', { favourite_colour: 'red' }, 'favourite_colour'],
      ['unknown address field', { address: { planet: 'Mars' } }, 'planet'],
      ['unknown consent channel', { consents: { fax: true } }, 'fax'],
      // too long (boundary + 1)
      ['source_id 256 bytes', { source_id: 's'.repeat(256) }, 'source_id'],
      ['name 256 bytes', { name: 'n'.repeat(256) }, 'name'],
      ['name 128 × ä = 256 bytes', { name: 'ä'.repeat(128) }, 'name'],
      ['description 1025 bytes', { description: 'd'.repeat(1025) }, 'description'],
      ['email 255 bytes', { email: emailOfLength(255) }, 'email'],
      ['phone 33 bytes', { phone: '1'.repeat(33) }, 'phone'],
      ['address.city 256 bytes', { address: { city: 'c'.repeat(256) } }, 'city'],
      ['address.postal_code 256 bytes', { address: { postal_code: 'p'.repeat(256) } }, 'postal_code'],
      ['metadata 16385 bytes', { metadata: { k: 'x'.repeat(16377) } }, 'metadata'],
      ['metadata 20 KiB', { metadata: Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`key${i}`, 'v'.repeat(40)])) }, 'metadata'],
      // bad formats
      ['email bob', { email: 'bob' }, 'email'],
      ['email bob@', { email: 'bob@' }, 'email'],
      ['email @example.com', { email: '@example.com' }, 'email'],
      ['email empty', { email: '' }, 'email'],
      ['phone letters', { phone: 'abc' }, 'phone'],
      ['phone #', { phone: '12#34' }, 'phone'],
      ['phone CALL', { phone: '555-CALL' }, 'phone'],
      ['birthdate 2023-02-29', { birthdate: '2023-02-29' }, 'birthdate'],
      ['birthdate 1900-02-29', { birthdate: '1900-02-29' }, 'birthdate'],
      ['birthdate future (+1 year)', { birthdate: inDays(366) }, 'birthdate'],
      ['birthdate tomorrow+1', { birthdate: inDays(2) }, 'birthdate'],
      ['birthdate 1899-12-31', { birthdate: '1899-12-31' }, 'birthdate'],
      ['birthdate month 13', { birthdate: '1990-13-01' }, 'birthdate'],
      ['birthdate day 00', { birthdate: '1990-12-00' }, 'birthdate'],
      ['birthdate day 32', { birthdate: '1990-12-32' }, 'birthdate'],
      ['birthdate unpadded', { birthdate: '1990-1-1' }, 'birthdate'],
      ['birthdate dotted', { birthdate: '10.12.1990' }, 'birthdate'],
      ['birthdate with time', { birthdate: '1990-12-10T00:00:00Z' }, 'birthdate'],
      ['birthdate empty', { birthdate: '' }, 'birthdate'],
      ['timezone Mars/Olympus', { timezone: 'Mars/Olympus' }, 'timezone'],
      ['timezone ../etc/passwd', { timezone: '../etc/passwd' }, 'timezone'],
      ['timezone Europe/../../etc/passwd', { timezone: 'Europe/../../etc/passwd' }, 'timezone'],
      ['timezone /etc/localtime', { timezone: '/etc/localtime' }, 'timezone'],
      ['timezone empty', { timezone: '' }, 'timezone'],
      // control characters
      ['name with \\u0001', { name: 'a\u0001b' }, 'name'],
      ['name with newline', { name: 'a\nb' }, 'name'],
      ['description with ESC', { description: 'a\u001bb' }, 'description'],
      ['source_id with newline', { source_id: 'a\nb' }, 'source_id'],
      ['address.city with \\u0002', { address: { city: 'Ber\u0002lin' } }, 'city'],
    ];

    for (const [label, patch, field] of cases) {
      test(`POST ${label} → 400 invalid_param naming ${field}`, async () => {
        // source_id "base" would upsert the base customer if a partial write slipped through
        const body = { source_id: 'base', name: 'SHOULD NOT APPLY', ...patch };
        assertError(await api(t, 'POST', '/v1/customers', { body }), 400, 'invalid_param', field);
        const anon = { name: 'SHOULD NOT EXIST', ...patch };
        assertError(await api(t, 'POST', '/v1/customers', { body: anon }), 400, 'invalid_param', field);
        await assertUnchanged(label);
      });
      test(`PUT ${label} → 400 invalid_param naming ${field}`, async () => {
        const body = { name: 'SHOULD NOT APPLY', metadata: { changed: true }, ...patch };
        assertError(await api(t, 'PUT', `/v1/customers/${base.id}`, { body }), 400, 'invalid_param', field);
        await assertUnchanged(label);
      });
    }

    test('exact maximum lengths are accepted', async () => {
      const ok = [
        { source_id: 's'.repeat(255) },
        { name: 'n'.repeat(255) },
        { name: 'ä'.repeat(127) + 'a' },
        { description: 'd'.repeat(1024) },
        { email: emailOfLength(254) },
        { phone: '1'.repeat(32) },
        { address: { city: 'c'.repeat(255), state: 's'.repeat(255), line_1: '1'.repeat(255), line_2: '2'.repeat(255),
          country: 'C'.repeat(255), postal_code: 'p'.repeat(255) } },
        { metadata: { k: 'x'.repeat(16376) } }, // {"k":"…"} is exactly 16384 bytes
        { birthdate: today() },
        { name: 'tab\there' },
      ];
      for (const body of ok) {
        const r = await api(t, 'POST', '/v1/customers', { body });
        assert.equal(r.status, 201, `${JSON.stringify(body).slice(0, 80)}… → ${r.status} ${r.text.slice(0, 300)}`);
        total += 1;
        const [k, v] = Object.entries(body)[0];
        assert.deepEqual(r.json[k], v);
      }
      assert.equal(JSON.stringify({ k: 'x'.repeat(16376) }).length, 16384);
      await assertUnchanged('maximum lengths');
    });

    test('PUT with bad value on an unknown customer still a 4xx, nothing created', async () => {
      const r = await api(t, 'PUT', '/v1/customers/cust_doesnotexist000000000', { body: { email: 'bob' } });
      assert.ok(r.status === 400 || r.status === 404, r.text);
      await assertUnchanged('PUT unknown');
    });
  });

  describe('invalid_query', () => {
    const cases = [
      ['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'], ['limit=10abc', 'limit'],
      ['page=0', 'page'], ['page=-1', 'page'], ['page=x', 'page'],
      ['order=name', 'order'], ['order=created', 'order'],
      [`created_at${encodeURIComponent('[after]')}=yesterday`, 'created_at'],
      [`created_at${encodeURIComponent('[before]')}=2026-13-01T00:00:00Z`, 'created_at'],
    ];
    for (const [qs, field] of cases) {
      test(`GET /v1/customers?${qs} → 400 invalid_query`, async () => {
        assertError(await api(t, 'GET', `/v1/customers?${qs}`), 400, 'invalid_query', field);
      });
    }
    test('limit=1 and limit=100 are accepted', async () => {
      for (const l of [1, 100]) {
        const r = await api(t, 'GET', `/v1/customers?limit=${l}`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.customers.length, Math.min(l, total));
      }
    });
  });

  describe('body size and media type', () => {
    test('body of 1 MiB + 1 byte → 413 payload_too_large', async () => {
      const head = '{"name":"big"}';
      const body = Buffer.from(head + ' '.repeat(MiB + 1 - head.length));
      assert.equal(body.length, MiB + 1);
      const r = await oversized(t, body);
      assertError(r, 413, 'payload_too_large');
      await assertUnchanged('413');
    });

    test('body of 8 MiB → 413', async () => {
      const body = Buffer.from('{"metadata":{"k":"' + 'x'.repeat(8 * MiB) + '"}}');
      const r = await oversized(t, body);
      assertError(r, 413, 'payload_too_large');
      await assertUnchanged('413 8 MiB');
    });

    test('body of exactly 1 MiB is accepted', async () => {
      const head = '{"name":"exactly one mebibyte"}';
      const body = Buffer.from(head + ' '.repeat(MiB - head.length));
      assert.equal(body.length, MiB);
      const r = await api(t, 'POST', '/v1/customers', { raw: body });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.name, 'exactly one mebibyte');
      total += 1;
      await assertUnchanged('1 MiB');
    });

    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
      test(`Content-Type ${ct} → 415 unsupported_media_type`, async () => {
        const raw = JSON.stringify({ source_id: 'base', name: 'SHOULD NOT APPLY' });
        assertError(await api(t, 'POST', '/v1/customers', { raw, contentType: ct }), 415, 'unsupported_media_type');
        assertError(await api(t, 'PUT', `/v1/customers/${base.id}`, { raw, contentType: ct }), 415, 'unsupported_media_type');
        await assertUnchanged(ct);
      });
    }

    test('application/json; charset=utf-8 and a missing Content-Type are accepted', async () => {
      const a = await api(t, 'POST', '/v1/customers', { raw: '{"name":"charset"}', contentType: 'application/json; charset=utf-8' });
      assert.equal(a.status, 201, a.text);
      total += 1;
      const b = await api(t, 'POST', '/v1/customers', { raw: '{"name":"no content type"}', contentType: null });
      assert.equal(b.status, 201, b.text);
      assert.equal(b.json.name, 'no content type');
      total += 1;
      await assertUnchanged('content types');
    });
  });

  describe('routes and methods', () => {
    for (const [m, p] of [['GET', '/v1/nope'], ['GET', '/v2/customers'], ['POST', '/v1/customer'],
      ['GET', '/v1/customers/a/b'], ['GET', '/v1/customersx']]) {
      test(`${m} ${p} → 404 not_found`, async () => {
        assertError(await api(t, m, p, m === 'POST' ? { body: {} } : {}), 404, 'not_found');
        await assertUnchanged(`${m} ${p}`);
      });
    }

    const allow = (r) => (r.headers.allow ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean).sort();
    const m405 = [
      ['PATCH', '/v1/customers', ['GET', 'POST']],
      ['DELETE', '/v1/customers', ['GET', 'POST']],
      ['PUT', '/v1/customers', ['GET', 'POST']],
      ['PATCH', '/v1/customers/{id}', ['DELETE', 'GET', 'PUT']],
      ['POST', '/v1/customers/{id}', ['DELETE', 'GET', 'PUT']],
      ['POST', '/health', ['GET']],
    ];
    for (const [m, p, methods] of m405) {
      test(`${m} ${p} → 405 with Allow: ${methods.join(', ')}`, async () => {
        const path = p.replace('{id}', base.id);
        const r = await api(t, m, path, m === 'DELETE' ? {} : { body: { name: 'SHOULD NOT APPLY' } });
        assertError(r, 405, 'method_not_allowed');
        const got = allow(r).filter((x) => x !== 'HEAD' && x !== 'OPTIONS');
        assert.deepEqual(got, methods, `Allow: ${r.headers.allow}`);
        await assertUnchanged(`${m} ${p}`);
      });
    }
    test('GET /client/v1/customers with a client key → 405 Allow: POST', async () => {
      const r = await api(t, 'GET', '/client/v1/customers', { keys: 'client' });
      assertError(r, 405, 'method_not_allowed');
      assert.deepEqual(allow(r).filter((x) => x !== 'HEAD' && x !== 'OPTIONS'), ['POST']);
    });
  });

  describe('request ids', () => {
    test('X-Request-Id generated (req_…) on success and error, unique', async () => {
      const a = await api(t, 'GET', `/v1/customers/${base.id}`);
      const b = await api(t, 'GET', `/v1/customers/${base.id}`);
      assert.match(a.headers['x-request-id'] ?? '', /^req_./);
      assert.match(b.headers['x-request-id'] ?? '', /^req_./);
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
      const e = await api(t, 'GET', '/v1/customers/cust_doesnotexist000000000');
      const eb = assertError(e, 404, 'not_found');
      assert.match(eb.request_id, /^req_./);
      const h = await api(t, 'GET', '/health', { keys: 'none' });
      assert.match(h.headers['x-request-id'] ?? '', /^req_./);
      const u = await api(t, 'GET', '/v1/customers', { keys: 'none' });
      const ub = assertError(u, 401, 'unauthorized');
      assert.match(ub.request_id, /^req_./);
    });

    test('a valid caller X-Request-Id is echoed on success, error and 204', async () => {
      const id = 'my-req_1.2:3';
      const ok = await api(t, 'GET', `/v1/customers/${base.id}`, { headers: { 'X-Request-Id': id } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-request-id'], id);
      const bad = await api(t, 'POST', '/v1/customers', { body: { email: 'bob' }, headers: { 'X-Request-Id': 'err-42' } });
      const b = assertError(bad, 400, 'invalid_param', 'email');
      assert.equal(b.request_id, 'err-42');
      const created = await api(t, 'POST', '/v1/customers', { body: {} });
      total += 1;
      const del = await api(t, 'DELETE', `/v1/customers/${created.json.id}`, { headers: { 'X-Request-Id': 'del-1' } });
      assert.equal(del.status, 204);
      assert.equal(del.headers['x-request-id'], 'del-1');
      total -= 1;
      const max = 'A'.repeat(64);
      const m = await api(t, 'GET', '/v1/customers/cust_nope', { headers: { 'X-Request-Id': max } });
      assert.equal(assertError(m, 404, 'not_found').request_id, max);
      const one = await api(t, 'GET', '/health', { keys: 'none', headers: { 'X-Request-Id': 'z' } });
      assert.equal(one.headers['x-request-id'], 'z');
      await assertUnchanged('request ids');
    });

    for (const [label, bad] of [['65 characters', 'B'.repeat(65)], ['a space', 'bad id'], ['a slash', 'a/b'],
      ['a quote', 'a"b'], ['braces', '{x}']]) {
      test(`an X-Request-Id with ${label} is replaced by a req_… id`, async () => {
        const r = await api(t, 'GET', '/v1/customers/cust_nope', { headers: { 'X-Request-Id': bad } });
        const b = assertError(r, 404, 'not_found');
        assert.notEqual(b.request_id, bad);
        assert.match(b.request_id, /^req_./);
      });
    }
  });
});

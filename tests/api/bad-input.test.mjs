// bad-input.test.mjs - the bad-input battery (issue 9): every POST and PUT route in
// src/api/routes.c gets malformed JSON, a body of the wrong JSON type, invalid UTF-8, a
// NUL escape, nesting beyond the limit, a number beyond any range and a 2 MiB body. Each
// must answer a 4xx with the error shape {code, key, message} and a message that says
// something — never a 5xx, never a hang — and afterwards nothing has changed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTreu, api, REPO_ROOT } from './harness.mjs';

/* Every POST/PUT route with its auth kind, read from the route table itself, so a new route
 * is covered the day it is added. Path parameters get a well-formed id that exists nowhere. */
function writeRoutes() {
  const src = fs.readFileSync(path.join(REPO_ROOT, 'src/api/routes.c'), 'utf8');
  const re = /\{"(POST|PUT)",\s*"([^"]+)",\s*(AUTH_[A-Z_]+)/g;
  const out = [];
  for (let m; (m = re.exec(src));) {
    if (m[2].startsWith('/v1/_test')) continue;
    out.push({ method: m[1], pattern: m[2], auth: m[3], path: m[2].replace(/\{[^}]+\}/g, 'x_nothing_here_0000000001') });
  }
  return out;
}

const BODIES = [
  ['malformed JSON', '{"a": '],
  ['a JSON string', '"just a string"'],
  ['a JSON number', '42'],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
  ['a NUL escape', '{"name": "a\\u0000b"}'],
  ['nesting 200 deep', '['.repeat(200) + ']'.repeat(200)],
  ['a number beyond range', '{"amount": 1e400, "points": 1e400}'],
  ['a 2 MiB body', `{"name": "${'x'.repeat(2 * 1024 * 1024)}"}`],
];

describe('bad-input battery over every write route', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  const snapshot = async () => {
    const out = {};
    for (const p of ['/v1/customers?limit=1', '/v1/loyalties?limit=1', '/v1/rewards?limit=1', '/v1/campaigns?limit=1',
      '/v1/vouchers?limit=1', '/v1/redemptions?limit=1', '/v1/validation-rules?limit=1', '/v1/webhooks?limit=1']) {
      const r = await api(t, 'GET', p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      out[p] = r.json.total;
    }
    return out;
  };

  test('each route answers every bad body with a useful 4xx and changes nothing', async () => {
    const routes = writeRoutes();
    assert.ok(routes.length >= 50, `found ${routes.length} write routes in routes.c`);
    const before = await snapshot();
    const problems = [];
    for (const rt of routes) {
      for (const [what, body] of BODIES) {
        const raw = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
        const opts = { raw, keys: rt.auth === 'AUTH_CLIENT' ? 'client' : 'server' };
        if (rt.auth === 'AUTH_WRITE_KEY') {
          opts.keys = 'none';
          opts.headers = { Authorization: `Basic ${Buffer.from(`${t.keys.client_token}:`).toString('base64')}` };
        }
        const r = await api(t, rt.method, rt.path, opts);
        const shapeOk = r.json && typeof r.json.key === 'string' && typeof r.json.message === 'string' &&
          r.json.code === r.status;
        if (r.status < 400 || r.status >= 500 || !shapeOk) {
          problems.push(`${rt.method} ${rt.pattern} with ${what}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }
    }
    assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
    assert.deepEqual(await snapshot(), before, 'nothing was created or removed');
  });
});

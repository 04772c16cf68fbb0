// ratelimit.test.mjs - per-key request rate limits (docs/operations.md "Rate limits"): each
// API key has its own bucket of one second's worth of requests; past it, 429 with a
// Retry-After the client can trust, and nothing is done; the bucket refills with time.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, treuCli, sleep } from './harness.mjs';

describe('per-key rate limits', () => {
  let t;
  before(async () => { t = await startTreu({ args: ['--rate-limit-server', '5', '--rate-limit-client', '3'] }); });
  after(async () => { await t?.stop(); });

  test('a server key gets 5 requests a second; the 6th is 429 with Retry-After and creates nothing', async () => {
    await sleep(1100); // a full bucket
    const sids = Array.from({ length: 8 }, (_, i) => `rl-${Date.now()}-${i}`);
    const answers = [];
    for (const sid of sids) answers.push(await api(t, 'POST', '/v1/customers', { body: { source_id: sid } }));
    const ok = answers.filter((r) => r.status === 201).length;
    const limited = answers.filter((r) => r.status === 429);
    assert.ok(ok >= 5 && ok <= 6, `5 (a 6th may refill meanwhile) got through: ${answers.map((r) => r.status)}`);
    assert.ok(limited.length >= 2, answers.map((r) => r.status).join(','));
    const l = limited[0];
    assert.equal(l.json.code, 429);
    assert.equal(l.json.key, 'too_many_requests');
    assert.ok(Number(l.headers['retry-after']) >= 1, JSON.stringify(l.headers));
    await sleep(1100);
    // The refused ones created nothing; the rest exist.
    for (const [i, sid] of sids.entries()) {
      const g = await api(t, 'GET', `/v1/customers/${sid}`);
      assert.equal(g.status === 200, answers[i].status === 201, `${sid}: ${answers[i].status} then ${g.status}`);
      await sleep(250);
    }
  });

  test('each key has its own bucket, and a client key its own rate', async () => {
    await sleep(1100);
    const other = JSON.parse((await treuCli(['keys', 'create', '--project', t.keys.project_id, '--kind', 'server', '--json', '--data', t.dataDir])).stdout);
    for (let i = 0; i < 5; i++) assert.equal((await api(t, 'GET', '/v1/customers?limit=1')).status, 200);
    assert.equal((await api(t, 'GET', '/v1/customers?limit=1')).status, 429, 'the first key is spent');
    assert.equal((await api(t, 'GET', '/v1/customers?limit=1', { keys: other })).status, 200, 'another key is not');
    const client = [];
    for (let i = 0; i < 5; i++) client.push((await api(t, 'POST', '/client/v1/events', { keys: 'client', body: { event: 'x', customer: { source_id: 'rl-client' } } })).status);
    assert.equal(client.filter((s) => s === 429).length, 2, client.join(','));
    // Health needs no key and is never limited.
    for (let i = 0; i < 10; i++) assert.equal((await api(t, 'GET', '/health', { keys: 'none' })).status, 200);
  });

  test('a bad limit stops serve with a usage error', async () => {
    const r = await treuCli(['serve', '--rate-limit-server', '-1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--rate-limit-server must be 0/);
  });
});

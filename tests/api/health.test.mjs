// GET /health and GET /metrics (docs/api.md "Health and metrics").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, parseProm, promValue, treuCli } from './harness.mjs';

describe('health and metrics', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('GET /health without keys → 200 {status:"ok", version}', async () => {
    const r = await api(t, 'GET', '/health', { keys: 'none' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    assert.equal(r.json?.status, 'ok');
    assert.equal(typeof r.json.version, 'string');
    assert.ok(r.json.version.length > 0);
    const v = await treuCli(['version']);
    assert.equal(v.code, 0);
    assert.ok(v.stdout.includes(r.json.version), `treu version (${v.stdout.trim()}) matches /health (${r.json.version})`);
  });

  test('GET /health ignores bad keys', async () => {
    const r = await api(t, 'GET', '/health', { keys: 'none', headers: { 'X-App-Id': 'nope', 'X-App-Token': 'nope' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.status, 'ok');
  });

  test('GET /metrics without keys → 200 Prometheus text with the documented series', async () => {
    // make sure there is at least one counted request of a known route and status
    const c = await api(t, 'POST', '/v1/customers', { body: { name: 'metered' } });
    assert.equal(c.status, 201);
    const bad = await api(t, 'POST', '/v1/customers', { body: { email: 'bob' } });
    assert.equal(bad.status, 400);
    // A request is counted when its answer has been sent, which may be just after the
    // client read it: read until the 400 shows (at most a second).
    let r;
    let s;
    for (let i = 0; i < 40; i++) {
      r = await api(t, 'GET', '/metrics', { keys: 'none' });
      s = parseProm(r.text);
      if (promValue(s, 'treu_http_requests_total', { route: 'POST /v1/customers', status: '400' }) >= 1) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers['content-type'] ?? '', /^text\/plain/);
    assert.ok(r.text.includes('treu_http_requests_total'), 'has treu_http_requests_total');
    assert.ok(promValue(s, 'treu_http_requests_total', { route: 'POST /v1/customers', status: '201' }) >= 1);
    assert.ok(promValue(s, 'treu_http_requests_total', { route: 'POST /v1/customers', status: '400' }) >= 1);
    for (const name of [
      'treu_http_request_duration_seconds_bucket', 'treu_http_request_duration_seconds_sum',
      'treu_http_request_duration_seconds_count',
      'treu_writer_batch_size_bucket', 'treu_writer_batch_size_sum', 'treu_writer_batch_size_count',
      'treu_writer_commit_duration_seconds_bucket',
      'treu_writer_commands_total', 'treu_writer_commits_total', 'treu_writer_queue_depth',
    ]) {
      assert.ok(s.some((x) => x.name === name), `metrics has ${name}`);
    }
    const inf = s.filter((x) => x.name === 'treu_writer_batch_size_bucket' && x.labels.le === '+Inf');
    assert.equal(inf.length, 1, 'batch size histogram has a +Inf bucket');
    assert.equal(inf[0].value, promValue(s, 'treu_writer_batch_size_count'), '+Inf bucket equals _count');
    assert.ok(promValue(s, 'treu_writer_commands_total') >= 1);
  });

  test('the request counter counts', async () => {
    const get = async () => promValue(parseProm((await api(t, 'GET', '/metrics', { keys: 'none' })).text),
      'treu_http_requests_total', { route: 'POST /v1/customers', status: '201' }) ?? 0;
    const before = await get();
    for (let i = 0; i < 3; i++) assert.equal((await api(t, 'POST', '/v1/customers', { body: {} })).status, 201);
    // A request is counted when its connection finishes sending the answer, which may be
    // just after the client read it: wait a moment for the last one.
    let now = await get();
    for (let i = 0; i < 40 && now < before + 3; i++) {
      await new Promise((r) => setTimeout(r, 25));
      now = await get();
    }
    assert.equal(now, before + 3);
  });
});

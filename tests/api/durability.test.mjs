// Group commit under load, and "a write is answered only after it is on disk" across
// SIGKILL and SIGTERM (docs/api.md "Conventions → Durability").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, pool, parseProm, promValue, sleep, waitExit } from './harness.mjs';

/* Runs `clients` loops creating customers until stop() is called or the server goes away.
 * Every 201 is recorded as {source_id, id}. Errors (connection refused/reset) end a loop. */
function burst(t, clients, prefix) {
  const acked = [];
  const other = { ok: 0, failed: 0, statuses: {} };
  let stopping = false;
  let seq = 0;
  const loop = async (c) => {
    while (!stopping) {
      const sid = `${prefix}-${c}-${seq++}`;
      let r;
      try {
        r = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: sid } });
      } catch {
        other.failed += 1;
        return; // server gone
      }
      if (r.status === 201) acked.push({ source_id: sid, id: r.json.id });
      else other.statuses[r.status] = (other.statuses[r.status] ?? 0) + 1;
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  return { acked, other, done, stop: () => { stopping = true; } };
}

async function verifyAcked(t, acked) {
  const missing = [];
  const wrong = [];
  await pool(acked, 16, async (a) => {
    const r = await api(t, 'GET', `/v1/customers/${encodeURIComponent(a.source_id)}`);
    if (r.status !== 200) missing.push(`${a.source_id} → ${r.status}`);
    else if (r.json.id !== a.id) wrong.push(`${a.source_id}: acked ${a.id}, found ${r.json.id}`);
  });
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${acked.length} acknowledged writes lost`);
  assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} acknowledged writes changed id`);
}

describe('durability', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('storm: 50 clients × 40 creates → 2000 × 201, total 2000, batches > 1 command', { timeout: 60_000 }, async (ctx) => {
    const CLIENTS = 50;
    const EACH = 40;
    const statuses = {};
    const ids = new Set();
    const t0 = Date.now();
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < EACH; i++) {
        const r = await api(t, 'POST', '/v1/customers', { body: { source_id: `storm-${c}-${i}`, email: `s${c}.${i}@example.com` } });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 201) ids.add(r.json.id);
      }
    }));
    const ms = Date.now() - t0;
    assert.deepEqual(statuses, { 201: CLIENTS * EACH }, `statuses after ${ms} ms`);
    assert.equal(ids.size, CLIENTS * EACH, 'distinct ids');
    const l = await api(t, 'GET', '/v1/customers?limit=1');
    assert.equal(l.json.total, CLIENTS * EACH);

    const m = await api(t, 'GET', '/metrics', { keys: 'none' });
    assert.equal(m.status, 200);
    const s = parseProm(m.text);
    const sum = promValue(s, 'treu_writer_batch_size_sum');
    const count = promValue(s, 'treu_writer_batch_size_count');
    assert.ok(sum !== undefined && count !== undefined, 'batch size histogram present');
    assert.ok(sum >= CLIENTS * EACH, `at least ${CLIENTS * EACH} commands committed, got ${sum}`);
    assert.ok(count >= 1);
    assert.ok(sum / count > 1, `group commit: mean batch ${sum}/${count} = ${(sum / count).toFixed(2)} > 1`);
    const commands = promValue(s, 'treu_writer_commands_total');
    const commits = promValue(s, 'treu_writer_commits_total');
    assert.ok(commands >= CLIENTS * EACH, `treu_writer_commands_total ${commands}`);
    assert.ok(commits < commands, `fewer commits (${commits}) than commands (${commands})`);
    ctx.diagnostic(`storm: ${CLIENTS * EACH} creates in ${ms} ms; ${commits} commits, mean batch ${(sum / count).toFixed(2)}`);
    const created = promValue(s, 'treu_http_requests_total', { route: 'POST /v1/customers', status: '201' });
    assert.equal(created, CLIENTS * EACH, 'request counter matches');
  });

  test('SIGKILL mid-burst ×3: every acknowledged write survives with its id', { timeout: 90_000 }, async (ctx) => {
    const all = [];
    for (let round = 0; round < 3; round++) {
      const b = burst(t, 20, `kill${round}`);
      await sleep(1000);
      await t.kill();
      b.stop();
      await b.done;
      assert.ok(b.acked.length > 0, `round ${round}: some writes were acknowledged before the kill`);
      assert.deepEqual(b.other.statuses, {}, `round ${round}: only 201s or connection errors`);
      all.push(...b.acked);
      ctx.diagnostic(`round ${round}: ${b.acked.length} acknowledged before SIGKILL, ${b.other.failed} requests cut off`);
      await t.restart();
      await verifyAcked(t, all);
    }
    const l = await api(t, 'GET', '/v1/customers?limit=1');
    assert.ok(l.json.total >= 2000 + all.length, `total ${l.json.total} ≥ storm + acknowledged ${all.length}`);
  });

  test('SIGTERM with requests in flight: exit 0 within 10 s, acknowledged writes kept', { timeout: 60_000 }, async (ctx) => {
    const b = burst(t, 20, 'term');
    await sleep(700);
    const pending = b.acked.length;
    const p = t.proc;
    const t0 = Date.now();
    p.expectExit = true;
    p.kill('SIGTERM');
    b.stop(); // no new requests; those in flight finish or fail
    const res = await waitExit(p, 10_000);
    const ms = Date.now() - t0;
    if (!res) p.kill('SIGKILL');
    await b.done;
    ctx.diagnostic(`SIGTERM: exit ${JSON.stringify(res)} after ${ms} ms; ${b.acked.length} acknowledged ` +
      `(${pending} before the signal), ${b.other.failed} cut off, other statuses ${JSON.stringify(b.other.statuses)}`);
    assert.ok(res, `exited within 10 s (still running after ${ms} ms)`);
    assert.deepEqual({ code: res.code, signal: res.signal }, { code: 0, signal: null }, `exit after SIGTERM (${ms} ms)`);
    assert.ok(pending > 0, 'writes were acknowledged before SIGTERM');
    for (const st of Object.keys(b.other.statuses)) {
      assert.equal(st, '503', `only 201 or 503 service_unavailable during shutdown: ${JSON.stringify(b.other.statuses)}`);
    }
    await t.restart();
    await verifyAcked(t, b.acked);
  });

  test('data survives a clean restart', async () => {
    const c = await api(t, 'POST', '/v1/customers', { body: { source_id: 'restart-1', metadata: { a: 1 } } });
    assert.equal(c.status, 201);
    const before = (await api(t, 'GET', '/v1/customers?limit=1')).json.total;
    const r = await t.shutdown();
    assert.deepEqual({ code: r.code, signal: r.signal }, { code: 0, signal: null });
    await t.restart();
    assert.deepEqual((await api(t, 'GET', '/v1/customers/restart-1')).json, c.json);
    assert.equal((await api(t, 'GET', '/v1/customers?limit=1')).json.total, before);
  });
});

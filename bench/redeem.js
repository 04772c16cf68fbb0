#!/usr/bin/env node
// Reward redemptions, closed loop: CONNECTIONS clients each redeem, wait for the answer,
// and redeem again, for DURATION_S seconds. Used by bench/run.
//
//   node bench/redeem.js BASE_URL APP_ID APP_TOKEN MODE MEMBERS CONNECTIONS DURATION_S OUT_JSON
//
// MODE "hot": every request redeems the same reward for the same member (the member's
// lots and the reward's stock row are contended by every request). MODE "spread": each
// request picks one of MEMBERS members at random.
//
// Setup through the API: one program, one MATERIAL reward with unlimited stock assigned
// at COST points, MEMBERS members each credited with enough points for every request the
// run can make. Then the exactness check after the run, against the server's own
// records: every member's balance must be what it had less COST times its 2xx answers,
// and the reward's redeemed count must equal the 2xx answers (requests that timed out or
// lost their connection are reported, never guessed).
//
// A last phase checks "never a double spend" under contention: one member with exactly
// EXACT_N × COST points, 4 × EXACT_N concurrent redemptions; exactly EXACT_N must succeed.
//
// OUT_JSON has the fields of a wrk TREU_BENCH line (so bench/util.js row can show it),
// plus "exact" (the check's verdict in words) and "exact_ok".
'use strict';

const fs = require('fs');
const http = require('http');
const { performance } = require('perf_hooks');

const COST = 10;
const EXACT_N = 25;

const args = process.argv.slice(2);
if (args.length !== 8) {
  console.error('usage: redeem.js BASE_URL APP_ID APP_TOKEN hot|spread MEMBERS CONNECTIONS DURATION_S OUT_JSON');
  process.exit(2);
}
const [base, appId, token, mode, membersArg, connsArg, durArg, outFile] = args;
const members = Number(membersArg);
const conns = Number(connsArg);
const durMs = Number(durArg) * 1000;
if (!['hot', 'spread'].includes(mode) || !(members >= 1) || !(conns >= 1) || !(durMs > 0)) {
  console.error('redeem.js: MODE must be hot or spread; MEMBERS, CONNECTIONS, DURATION_S positive');
  process.exit(2);
}

const u = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns + 8 });
const headers = { 'X-App-Id': appId, 'X-App-Token': token, 'Content-Type': 'application/json' };

function call(method, path, body) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      agent, hostname: u.hostname, port: u.port, method, path,
      headers: data === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, json, text });
      });
      res.on('error', (e) => resolve({ status: 0, err: 'read', text: e.message }));
    });
    req.setTimeout(10000, () => { req.destroy(); resolve({ status: 0, err: 'timeout', text: 'no answer in 10 s' }); });
    req.on('error', (e) => resolve({ status: 0, err: e.code === 'ECONNREFUSED' ? 'connect' : 'read', text: e.message }));
    req.end(data);
  });
}

function die(what, r) {
  console.error(`redeem.js: ${what}: HTTP ${r.status} ${String(r.text).slice(0, 400)}`);
  process.exit(1);
}

async function must(method, path, body, want) {
  const r = await call(method, path, body);
  if (r.status !== want) die(`${method} ${path}`, r);
  return r.json;
}

const run = `${mode}${Date.now().toString(36)}`;

// The status codes differ between endpoints; accept any 2xx for creates.
async function create(path, body) {
  const r = await call('POST', path, body);
  if (r.status < 200 || r.status > 299) die(`POST ${path}`, r);
  return r.json;
}

async function enroll(programId, n, points, tag) {
  const codes = [];
  for (let i = 0; i < n; i += 16) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 16); k++) {
      batch.push(create(`/v1/loyalties/${programId}/members`, { customer: { source_id: `bench-${run}-${tag}-${k}` } }));
    }
    for (const m of await Promise.all(batch)) codes.push(m.id);
  }
  for (let i = 0; i < codes.length; i += 16) {
    await Promise.all(codes.slice(i, i + 16).map((id) =>
      create(`/v1/loyalties/${programId}/members/${id}/balance`, { points, reason: 'bench' })));
  }
  return codes;
}

function pct(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)];
}

async function main() {
  const program = await create('/v1/loyalties', { name: `bench-redeem-${run}` });
  const reward = await create('/v1/rewards', {
    name: `bench reward ${run}`, type: 'MATERIAL', parameters: { product: { id: 'prod_bench' } },
  });
  await create(`/v1/loyalties/${program.id}/rewards`, { reward: reward.id, parameters: { loyalty: { points: COST } } });
  const n = mode === 'hot' ? 1 : members;
  // Enough for every request the run could make at 20,000/s.
  const budget = Math.ceil((durMs / 1000) * 20000 / n + 100) * COST;
  const ids = await enroll(program.id, n, budget, 'load');

  const statuses = {};
  const errs = { connect: 0, read: 0, write: 0, timeout: 0 };
  const lat = [];
  const okBy = new Map();
  let firstErrors = 0;
  const t0 = performance.now();
  const end = t0 + durMs;
  async function client() {
    while (performance.now() < end) {
      const id = ids[Math.floor(Math.random() * ids.length)];
      const s = performance.now();
      const r = await call('POST', `/v1/loyalties/${program.id}/members/${id}/redemption`, { reward: { id: reward.id } });
      lat.push(performance.now() - s);
      if (r.status) statuses[r.status] = (statuses[r.status] || 0) + 1;
      else errs[r.err]++;
      if (r.status >= 200 && r.status < 300) okBy.set(id, (okBy.get(id) || 0) + 1);
      else if (firstErrors++ < 5) console.error(`redeem.js: HTTP ${r.status} ${String(r.text).slice(0, 300)}`);
    }
  }
  await Promise.all(Array.from({ length: conns }, client));
  const elapsed = performance.now() - t0;

  // Exactness: balances and the reward's count against the 2xx answers.
  let ok = 0;
  for (const v of okBy.values()) ok += v;
  const lost = errs.timeout + errs.read;
  const problems = [];
  for (const id of ids) {
    const m = await must('GET', `/v1/loyalties/${program.id}/members/${id}`, undefined, 200);
    const want = budget - COST * (okBy.get(id) || 0);
    if (m.loyalty_card.balance !== want && lost === 0) problems.push(`${id}: balance ${m.loyalty_card.balance}, expected ${want}`);
  }
  const rw = await must('GET', `/v1/rewards/${reward.id}`, undefined, 200);
  if (lost === 0 && rw.redeemed !== undefined && Number(rw.redeemed) !== ok) problems.push(`reward redeemed ${rw.redeemed}, 2xx answers ${ok}`);

  // Never a double spend: EXACT_N affordable, 4 × EXACT_N concurrent.
  const [one] = await enroll(program.id, 1, EXACT_N * COST, 'exact');
  const answers = await Promise.all(Array.from({ length: 4 * EXACT_N }, () =>
    call('POST', `/v1/loyalties/${program.id}/members/${one}/redemption`, { reward: { id: reward.id } })));
  const won = answers.filter((r) => r.status >= 200 && r.status < 300).length;
  const refused = answers.filter((r) => r.status === 400).length;
  const after = await must('GET', `/v1/loyalties/${program.id}/members/${one}`, undefined, 200);
  if (won !== EXACT_N || refused !== 3 * EXACT_N || after.loyalty_card.balance !== 0) {
    problems.push(`exact: ${won} of ${4 * EXACT_N} succeeded (expected ${EXACT_N}), ${refused} refused, balance ${after.loyalty_card.balance}`);
  }

  const sorted = Float64Array.from(lat).sort();
  const us = (ms) => Math.round(ms * 10000) / 10;
  const total2xx = Object.entries(statuses).filter(([c]) => c >= 200 && c < 300).reduce((s, [, v]) => s + v, 0);
  const all = Object.values(statuses).reduce((s, v) => s + v, 0);
  const out = {
    requests: lat.length, duration_us: Math.round(elapsed * 1000), rps: (total2xx * 1000) / elapsed,
    ok_2xx: total2xx, non_2xx: all - total2xx, statuses,
    err_connect: errs.connect, err_read: errs.read, err_write: errs.write, err_timeout: errs.timeout,
    p50_us: us(pct(sorted, 50)), p90_us: us(pct(sorted, 90)), p99_us: us(pct(sorted, 99)),
    p999_us: us(pct(sorted, 99.9)), max_us: us(sorted.length ? sorted[sorted.length - 1] : NaN),
    mean_us: us(lat.reduce((s, x) => s + x, 0) / (lat.length || 1)),
    members: n, connections: conns,
    exact_ok: problems.length === 0,
    exact: problems.length === 0
      ? `balances and the reward's count match the ${total2xx.toLocaleString('en-US')} 2xx answers; ` +
        `${EXACT_N} of ${4 * EXACT_N} concurrent redemptions against ${EXACT_N} × ${COST} points succeeded, balance 0`
      : `**${problems.slice(0, 3).join('; ')}**`,
  };
  fs.writeFileSync(outFile, JSON.stringify(out) + '\n');
  agent.destroy();
}

main().catch((e) => { console.error(`redeem.js: ${e.stack || e}`); process.exit(1); });

#!/usr/bin/env node
// Open-loop load generator: POST /v1/events "ride.finished" at a FIXED rate, whatever the
// answers do (wrk cannot: it is closed loop). bench/run runs it in the background while
// wrk measures member reads, so the reads are measured under a known write load.
//
//   node bench/earn-open-loop.js BASE_URL APP_ID APP_TOKEN SIDS_FILE EXPECTED_FILE \
//        RATE CONNECTIONS WARMUP_S WINDOW_S TAIL_S OUT_JSON READY_FILE
//
// Request i is due at i / RATE seconds after the start; every millisecond the due
// requests are handed to a keep-alive pool of CONNECTIONS sockets. When all sockets are
// busy a request waits in the pool's queue, and its latency is counted from the moment
// it was DUE, not sent (no coordinated omission). Bodies are as in bench/events-earn.lua:
// a random member's source_id and random "minutes"; every 2xx answer's loyalty.points is
// checked against EXPECTED_FILE.
//
// The schedule runs WARMUP_S + WINDOW_S + TAIL_S seconds; READY_FILE is written when it
// starts. Latency, statuses and errors are over the requests due in the window; "rps" is
// the 2xx answers that ARRIVED in the window per second (the achieved rate, against
// "offered_rps"). Totals over the whole schedule (for the points check) are separate:
// "all_*", "points_2xx", "mismatch", "unparsed". After the schedule it waits up to 10 s
// for answers still due; those that never come are "unanswered".
//
// OUT_JSON has the fields of a wrk TREU_BENCH line (so bench/util.js row can show it),
// plus the ones above.
'use strict';

const fs = require('fs');
const http = require('http');
const { performance } = require('perf_hooks');

const args = process.argv.slice(2);
if (args.length !== 12) {
  console.error('usage: earn-open-loop.js BASE_URL APP_ID APP_TOKEN SIDS_FILE EXPECTED_FILE RATE CONNECTIONS ' +
    'WARMUP_S WINDOW_S TAIL_S OUT_JSON READY_FILE');
  process.exit(2);
}
const [base, appId, token, sidsFile, expectedFile, rateArg, connsArg, warmArg, winArg, tailArg, outFile, readyFile] = args;
const rate = Number(rateArg);
const conns = Number(connsArg);
const warmMs = Number(warmArg) * 1000;
const winMs = Number(winArg) * 1000;
const tailMs = Number(tailArg) * 1000;
for (const [k, v] of [['RATE', rate], ['CONNECTIONS', conns], ['WINDOW_S', winMs]]) {
  if (!(v > 0)) { console.error(`earn-open-loop: ${k} must be a positive number`); process.exit(2); }
}

const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l !== '');
const sids = lines(sidsFile);
const expected = new Map();
for (const l of lines(expectedFile)) {
  const [m, p] = l.split(' ').map(Number);
  expected.set(m, p);
}
const minM = Math.min(...expected.keys());
const maxM = Math.max(...expected.keys());
if (sids.length === 0 || expected.size === 0) { console.error('earn-open-loop: empty input files'); process.exit(2); }

const u = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: conns, maxFreeSockets: conns });
const headers = { 'X-App-Id': appId, 'X-App-Token': token, 'Content-Type': 'application/json' };

const GRACE_MS = 10000; // how long to wait for answers after the schedule
const totalDue = Math.floor((rate * (warmMs + winMs + tailMs)) / 1000);
const winStart = warmMs;
const winEnd = warmMs + winMs;
const latencies = []; // ms, requests due in the window
const winStatuses = {};
const allStatuses = {};
const winErr = { connect: 0, read: 0, write: 0, timeout: 0 };
let allErrors = 0;
let arrivedOk = 0; // 2xx answers arriving within the window
let answered = 0;
let sent = 0;
let inflight = 0;
let maxBacklog = 0;
let points = 0;
let mismatch = 0;
let unparsed = 0;
let firstErrors = 0;
const MINUTES_RE = /"metadata":\{"minutes":(\d+)\}/;
const POINTS_RE = /"loyalty":\{"points":(-?\d+)/;

let t0 = 0;
const now = () => performance.now() - t0;

function record(due, status, errKind, text) {
  const t = now();
  inflight--;
  answered++;
  const inWin = due >= winStart && due < winEnd;
  if (status) {
    allStatuses[status] = (allStatuses[status] || 0) + 1;
    if (inWin) winStatuses[status] = (winStatuses[status] || 0) + 1;
  } else {
    allErrors++;
    if (inWin) winErr[errKind]++;
  }
  if (inWin) latencies.push(t - due);
  const ok = status >= 200 && status < 300;
  if (ok && t >= winStart && t < winEnd) arrivedOk++;
  if (!ok && firstErrors < 5) {
    firstErrors++;
    console.error(`earn-open-loop: ${status ? `HTTP ${status}` : errKind}: ${String(text).slice(0, 400)}`);
  }
  if (!ok) return;
  const mm = MINUTES_RE.exec(text);
  const pm = POINTS_RE.exec(text);
  if (!mm || !pm) {
    if (++unparsed <= 3) console.error(`earn-open-loop: unparsed answer: ${text.slice(0, 400)}`);
    return;
  }
  const p = Number(pm[1]);
  points += p;
  if (expected.get(Number(mm[1])) !== p && ++mismatch <= 5) {
    console.error(`earn-open-loop: minutes ${mm[1]} earned ${p} points, expected ${expected.get(Number(mm[1]))}`);
  }
}

function send(due) {
  const sid = sids[Math.floor(Math.random() * sids.length)];
  const minutes = minM + Math.floor(Math.random() * (maxM - minM + 1));
  const body = `{"event":"ride.finished","customer":${JSON.stringify(sid)},"metadata":{"minutes":${minutes}}}`;
  inflight++;
  maxBacklog = Math.max(maxBacklog, inflight);
  let done = false;
  const finish = (status, kind, text) => {
    if (done) return;
    done = true;
    record(due, status, kind, text);
  };
  const req = http.request({
    agent, hostname: u.hostname, port: u.port, method: 'POST', path: '/v1/events',
    headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
  }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => finish(res.statusCode, null, Buffer.concat(chunks).toString('utf8')));
    res.on('error', (e) => finish(0, 'read', e.message));
  });
  req.setTimeout(10000, () => { finish(0, 'timeout', 'no answer within 10 s'); req.destroy(); });
  req.on('error', (e) => finish(0, e.code === 'ECONNREFUSED' ? 'connect' : 'read', `${e.code || ''} ${e.message}`));
  req.end(body);
  sent++;
}

function pct(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)];
}

function report() {
  const unanswered = sent - answered;
  const lat = Float64Array.from(latencies).sort();
  const us = (ms) => Math.round(ms * 1000 * 10) / 10;
  const winOk = Object.entries(winStatuses).filter(([c]) => c >= 200 && c < 300).reduce((s, [, n]) => s + n, 0);
  const winAll = Object.values(winStatuses).reduce((s, n) => s + n, 0);
  const out = {
    requests: lat.length, duration_us: winMs * 1000, rps: (arrivedOk * 1000) / winMs,
    ok_2xx: winOk, non_2xx: winAll - winOk, statuses: winStatuses,
    err_connect: winErr.connect, err_read: winErr.read, err_write: winErr.write, err_timeout: winErr.timeout,
    p50_us: us(pct(lat, 50)), p90_us: us(pct(lat, 90)), p99_us: us(pct(lat, 99)), p999_us: us(pct(lat, 99.9)),
    max_us: us(lat.length ? lat[lat.length - 1] : NaN),
    mean_us: us(lat.reduce((s, x) => s + x, 0) / (lat.length || 1)),
    offered_rps: rate, connections: conns,
    warmup_s: warmMs / 1000, tail_s: tailMs / 1000, grace_s: GRACE_MS / 1000,
    scheduled: sent, all_answered: answered, unanswered, all_statuses: allStatuses, all_errors: allErrors,
    max_backlog: maxBacklog, points_2xx: points, mismatch, unparsed,
  };
  fs.writeFileSync(outFile, JSON.stringify(out) + '\n');
}

t0 = performance.now();
fs.writeFileSync(readyFile, 'started\n');
let waitedSince = 0;

function tick() {
  const t = now();
  const due = Math.min(totalDue, Math.floor((t * rate) / 1000) + 1);
  while (sent < due) send((sent * 1000) / rate);
  if (sent < totalDue) {
    setTimeout(tick, 1);
    return;
  }
  // Schedule done: wait for the answers still due (at most 10 s).
  if (!waitedSince) waitedSince = t;
  if (inflight > 0 && t - waitedSince < GRACE_MS) {
    setTimeout(tick, 5);
    return;
  }
  report();
  agent.destroy();
  process.exit(0);
}
tick();

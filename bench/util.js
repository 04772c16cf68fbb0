#!/usr/bin/env node
// Small helpers for bench/run, so the shell script never scrapes text by hand.
//
//   util.js project FILE            -> "APP_ID APP_TOKEN" from `treu project create --json`
//   util.js field FILE KEY          -> one field of a TREU_BENCH result (JSON file)
//   util.js batch BEFORE AFTER      -> writer batch size between two /metrics snapshots
//   util.js total FILE              -> "total" of a list answer
//   util.js row LABEL CONNS RESULT NOTES -> one markdown table row for a wrk result
//   util.js loadnote LOAD           -> notes of the read-under-load row (the earn load's rate)
//   util.js loadextra LOAD          -> notes of the open-loop earn row (bench/earn-open-loop.js)
//   util.js targets EARN READ LOAD CONNS -> the DESIGN.md loyalty targets, met or not
'use strict';

const fs = require('fs');

function die(msg) {
  console.error(`bench/util.js: ${msg}`);
  process.exit(1);
}

const num = (n) => Math.round(n).toLocaleString('en-US');

function lat(us) {
  if (!Number.isFinite(us)) return 'n/a';
  if (us < 1000) return `${Math.round(us)} µs`;
  const ms = us / 1000;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

// Prometheus text: sum of all samples of one metric name (any labels).
function metric(text, name) {
  let found = false;
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (m && m[1] === name) {
      found = true;
      sum += Number(m[3]);
    }
  }
  return found ? sum : null;
}

const [cmd, ...args] = process.argv.slice(2);

switch (cmd) {
  case 'project': {
    const text = fs.readFileSync(args[0], 'utf8');
    let o;
    try {
      o = JSON.parse(text);
    } catch (e) {
      die(`\`treu project create --json\` did not print one JSON object (${e.message}); it printed:\n${text.slice(0, 1000)}`);
    }
    for (const k of ['project_id', 'name', 'app_id', 'app_token', 'client_app_id', 'client_token']) {
      if (typeof o[k] !== 'string' || o[k] === '') die(`project create: field "${k}" missing or not a string in ${text.slice(0, 1000)}`);
    }
    for (const k of ['app_id', 'app_token']) {
      if (!/^[\x21-\x7e]+$/.test(o[k])) die(`project create: "${k}" has characters unfit for a header: ${JSON.stringify(o[k])}`);
    }
    console.log(`${o.app_id} ${o.app_token}`);
    break;
  }
  case 'field': {
    const r = JSON.parse(fs.readFileSync(args[0], 'utf8'));
    const v = r[args[1]];
    console.log(typeof v === 'object' ? JSON.stringify(v) : String(v));
    break;
  }
  case 'batch': {
    const read = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
    const a = read(args[0]);
    const b = read(args[1]);
    const get = (t, n) => metric(t, n);
    const s0 = get(a, 'treu_writer_batch_size_sum') ?? 0;
    const c0 = get(a, 'treu_writer_batch_size_count') ?? 0;
    const s1 = get(b, 'treu_writer_batch_size_sum');
    const c1 = get(b, 'treu_writer_batch_size_count');
    if (s1 === null || c1 === null) {
      console.log('writer batch: n/a (treu_writer_batch_size_sum/_count not in /metrics)');
    } else if (c1 - c0 <= 0) {
      console.log('writer batch: n/a (no commits counted during the run)');
    } else {
      const avg = (s1 - s0) / (c1 - c0);
      console.log(`avg writer batch ${avg.toFixed(1)} commands/commit (${num(s1 - s0)} commands, ${num(c1 - c0)} commits)`);
    }
    break;
  }
  case 'total': {
    const text = fs.readFileSync(args[0], 'utf8');
    try {
      const o = JSON.parse(text);
      if (typeof o.total !== 'number') throw new Error('no numeric "total"');
      console.log(String(o.total));
    } catch (e) {
      console.log('');
    }
    break;
  }
  case 'row': {
    const [label, conns, file, notes] = args;
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    const secs = r.duration_us / 1e6;
    let rps = num(r.rps);
    if (r.non_2xx > 0) rps += ` (2xx: ${num(r.ok_2xx / secs)})`;
    const bad = Object.entries(r.statuses || {})
      .filter(([code]) => !(Number(code) >= 200 && Number(code) < 300))
      .map(([code, n]) => `${code}×${num(n)}`);
    const sock = [];
    for (const k of ['connect', 'read', 'write', 'timeout']) {
      if (r[`err_${k}`] > 0) sock.push(`${k} ${num(r[`err_${k}`])}`);
    }
    let errs;
    if (bad.length === 0 && sock.length === 0) {
      errs = '0 / 0';
    } else {
      errs = `**${bad.length ? bad.join(', ') : '0'} / ${sock.length ? sock.join(', ') : '0'}**`;
    }
    const ok = Object.entries(r.statuses || {})
      .filter(([code]) => Number(code) >= 200 && Number(code) < 300)
      .map(([code, n]) => `${code}×${num(n)}`);
    const allNotes = [ok.length ? `statuses ${ok.join(', ')}` : '**no 2xx answers**', notes].filter(Boolean).join('; ');
    console.log(`| ${label} | ${conns} | ${rps} | ${lat(r.p50_us)} | ${lat(r.p99_us)} | ${lat(r.p999_us)} | ${errs} | ${allNotes} |`);
    break;
  }
  case 'loadnote': {
    // Notes of the read-under-load row: what the earn load beside it achieved.
    const l = JSON.parse(fs.readFileSync(args[0], 'utf8'));
    const short = l.rps < 0.98 * l.offered_rps;
    const rate = `${num(l.rps)} of ${num(l.offered_rps)} offered`;
    console.log(`earn load beside it: ${short ? `**only ${rate}**` : rate} events/s achieved, ` +
      `earn p99 ${lat(l.p99_us)} (row below)`);
    break;
  }
  case 'loadextra': {
    // Notes of the open-loop earn row: offered vs achieved, backlog, the whole schedule.
    const l = JSON.parse(fs.readFileSync(args[0], 'utf8'));
    const parts = [];
    const short = l.rps < 0.98 * l.offered_rps;
    const secs = l.duration_us / 1e6;
    parts.push(`${short ? '**' : ''}achieved ${num(l.rps)} of ${num(l.offered_rps)} events/s offered${short ? '**' : ''} ` +
      `(2xx answers arriving in the ${secs} s window); latency from each request's due time, over the ` +
      `${num(l.requests)} requests due in the window; backlog up to ${num(l.max_backlog)} requests ` +
      `(waiting for one of the ${l.connections} connections, or in flight)`);
    const other = Object.entries(l.all_statuses || {})
      .filter(([code]) => !(Number(code) >= 200 && Number(code) < 300))
      .map(([code, n]) => `${code}×${num(n)}`);
    let whole = `whole schedule incl. ${l.warmup_s} s warm-up and ${l.tail_s} s tail: ${num(l.scheduled)} requests`;
    if (l.unanswered > 0) {
      whole += `, **${num(l.unanswered)} still unanswered ${l.grace_s} s after the schedule ended** ` +
        `(dropped: the server could not keep up)`;
    }
    if (other.length) whole += `, **non-2xx ${other.join(', ')}**`;
    if (l.all_errors > 0) whole += `, **${num(l.all_errors)} socket errors or timeouts**`;
    parts.push(whole);
    console.log(parts.join('; '));
    break;
  }
  case 'targets': {
    // The DESIGN.md targets for the loyalty rows, met or not, said plainly.
    const [earnF, readF, loadF, conns] = args;
    const e = JSON.parse(fs.readFileSync(earnF, 'utf8'));
    const r = JSON.parse(fs.readFileSync(readF, 'utf8'));
    const l = JSON.parse(fs.readFileSync(loadF, 'utf8'));
    const secs = e.duration_us / 1e6;
    const earnOk = e.ok_2xx / secs;
    const rateMet = earnOk >= 20000;
    const p99Met = e.p99_us <= 10000;
    const clean = e.non_2xx === 0 && ['connect', 'read', 'write', 'timeout'].every((k) => !(e[`err_${k}`] > 0));
    let earn;
    if (rateMet && p99Met && clean) {
      earn = 'met';
    } else {
      const why = [];
      if (!rateMet) why.push(`${Math.round((100 * earnOk) / 20000)}% of the rate`);
      if (!p99Met) why.push(`p99 ${(e.p99_us / 10000).toFixed(1)}× the bound`);
      if (!clean) why.push('not every request answered 2xx');
      earn = `**NOT MET** (${why.join('; ')})`;
    }
    const readP99Met = r.p99_us <= 2000;
    const readClean = r.non_2xx === 0 && ['connect', 'read', 'write', 'timeout'].every((k) => !(r[`err_${k}`] > 0));
    const loadShort = l.rps < 0.98 * l.offered_rps;
    let read = readP99Met && readClean ? 'met' : `**NOT MET**${readClean ? '' : ' (not every read answered 2xx)'}`;
    if (loadShort) read += `, and the earn load under it fell short of what was offered`;
    console.log('**Targets** (`DESIGN.md` "Targets", 2-core machine):');
    console.log();
    console.log(`* Earn events ingested, durable, with rule evaluation: ≥ 20,000 events/s sustained, p99 ≤ 10 ms. ` +
      `This run: ${num(earnOk)} events/s answered 2xx, p99 ${lat(e.p99_us)} (closed loop, ${conns} connections, ` +
      `${secs.toFixed(0)} s) → ${earn}.`);
    console.log(`* Member balance read under that load: p99 ≤ 2 ms. This run: p99 ${lat(r.p99_us)} ` +
      `(p99.9 ${lat(r.p999_us)}) at ${num(r.rps)} reads/s while ${num(l.rps)} earn events/s were ingested ` +
      `(${num(l.offered_rps)} offered) → ${read}. The target means reads under the 20,000 events/s earn load; ` +
      `this run puts ${num(l.offered_rps)}/s under them (the condition of \`reference/performance.md\` §6 #2), ` +
      `so it is the lighter test${l.offered_rps >= 20000 ? '' : ', and passing it does not show the target at full earn load'}.`);
    break;
  }
  default:
    die(`unknown command ${cmd}`);
}

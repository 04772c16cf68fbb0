// harness.mjs - starts the real `treu` binary on a free port and drives its HTTP API.
//
// Black-box only: everything goes through the CLI (`treu project create`, `treu keys ...`,
// `treu serve`) and HTTP. Each test file calls startTreu() in a `before` hook and
// stop() in `after`. Built-ins only (Node 20).

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TREU_BIN = path.resolve(REPO_ROOT, process.env.TREU_BIN || 'build/treu');

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 15_000;

export const TS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/* Every serve process we start, so a crashing test run does not leave servers behind. */
const liveProcs = new Set();
process.on('exit', () => {
  for (const p of liveProcs) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Runs `treu ARGS...`; resolves {code, stdout, stderr}; never rejects on a non-zero exit. */
export function treuCli(args, { timeout = CLI_TIMEOUT_MS } = {}) {
  return new Promise((resolve, reject) => {
    execFile(TREU_BIN, args, { cwd: REPO_ROOT, timeout, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`treu ${args.join(' ')} failed to run: ${err.message}\nstderr: ${stderr}`));
          return;
        }
        resolve({ code: err ? err.code : 0, stdout: String(stdout), stderr: String(stderr) });
      });
  });
}

function parseOneJsonObject(what, out) {
  const s = out.stdout.trim();
  let obj;
  try {
    obj = JSON.parse(s);
  } catch (e) {
    throw new Error(`${what}: stdout is not one JSON object (${e.message}): ${JSON.stringify(s)}\nstderr: ${out.stderr}`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new Error(`${what}: stdout is not a JSON object: ${s}`);
  }
  return obj;
}

/* `treu project create NAME --json --data DIR` →
 * {project_id, name, app_id, app_token, client_app_id, client_token}. */
export async function createProject(dataDir, name = 'test') {
  const out = await treuCli(['project', 'create', name, '--json', '--data', dataDir]);
  if (out.code !== 0) {
    throw new Error(`treu project create exited ${out.code}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
  }
  const keys = parseOneJsonObject('treu project create', out);
  for (const f of ['project_id', 'name', 'app_id', 'app_token', 'client_app_id', 'client_token']) {
    if (typeof keys[f] !== 'string' || keys[f] === '') {
      throw new Error(`treu project create: field ${f} missing or not a string in ${out.stdout}`);
    }
  }
  return keys;
}

/* `treu keys create --project P --kind server|client --json --data DIR` →
 * {app_id, app_token, kind, project_id}. */
export async function keysCreate(dataDir, projectId, kind) {
  const out = await treuCli(['keys', 'create', '--project', projectId, '--kind', kind, '--json', '--data', dataDir]);
  if (out.code !== 0) {
    throw new Error(`treu keys create exited ${out.code}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`);
  }
  return parseOneJsonObject('treu keys create', out);
}

export async function keysRevoke(dataDir, appId) {
  return treuCli(['keys', 'revoke', appId, '--data', dataDir]);
}

export async function keysList(dataDir) {
  return treuCli(['keys', 'list', '--data', dataDir]);
}

/* Spawns `treu serve` on 127.0.0.1:0 and waits for "treu: listening on http://...". */
function spawnServe(dataDir, extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(TREU_BIN,
      ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, '--log-level', 'warn', ...extra],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    liveProcs.add(proc);

    let stdout = '';
    let stderr = '';
    let settled = false;
    const exited = new Promise((res) => {
      proc.once('exit', (code, signal) => {
        liveProcs.delete(proc);
        res({ code, signal });
      });
    });
    proc.exited = exited;
    proc.stderrText = () => stderr;
    proc.expectExit = false; // set by stop()/kill(); an exit without it is reported
    exited.then(({ code, signal }) => {
      if (settled && !proc.expectExit) {
        process.stderr.write(`\n!!! treu serve (pid ${proc.pid}) exited unexpectedly: code ${code}, signal ${signal}\n` +
          `--- stderr tail ---\n${stderr.slice(-4000)}\n-------------------\n`);
      }
    });

    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try { proc.kill('SIGKILL'); } catch { /* gone */ }
      reject(new Error(`treu serve ${why}\nstdout: ${stdout.slice(0, 4000)}\nstderr: ${stderr.slice(-8000)}`));
    };
    const timer = setTimeout(() => fail(`did not print "listening" within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);

    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    // Keep draining both pipes for the life of the process so the server never blocks on a
    // full pipe; keep only a bounded tail.
    proc.stderr.on('data', (d) => { stderr = (stderr + d).slice(-65536); });
    proc.stdout.on('data', (d) => {
      if (settled) return;
      stdout = (stdout + d).slice(-65536);
      const m = /treu: listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(stdout);
      if (m && Number(m[2]) > 0) {
        settled = true;
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
    proc.once('error', (e) => fail(`could not be started: ${e.message}`));
    exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/* Resolves {code, signal} when proc exits, or null after ms (the timer never holds the
 * event loop open). */
export async function waitExit(proc, ms) {
  let timer;
  const t = new Promise((r) => { timer = setTimeout(() => r(null), ms); });
  try {
    return await Promise.race([proc.exited, t]);
  } finally {
    clearTimeout(timer);
  }
}

/* Starts a server. Returns {url, keys, dataDir, proc, stop(), kill(), restart()}.
 * testClock: start with --test-clock (POST /v1/_test/clock moves the server's clock).
 * args: more `treu serve` options. */
export async function startTreu({ dataDir, testClock = false, args = [] } = {}) {
  const extra = [...(testClock ? ['--test-clock'] : []), ...args];
  const ownDir = !dataDir;
  if (!dataDir) dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'treu-api-'));
  const keys = await createProject(dataDir, 'test');

  const t = { url: null, keys, dataDir, proc: null };
  const attach = ({ proc, url }) => { t.proc = proc; t.url = url; };
  attach(await spawnServe(dataDir, extra));

  /* SIGTERM, wait up to 10 s, then SIGKILL. Resolves {code, signal, ms, forced}. */
  t.shutdown = async () => {
    const p = t.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) {
      return p ? { code: p.exitCode, signal: p.signalCode, ms: 0, forced: false } : null;
    }
    const t0 = Date.now();
    p.expectExit = true;
    p.kill('SIGTERM');
    let r = await waitExit(p, STOP_TIMEOUT_MS);
    let forced = false;
    if (!r) {
      forced = true;
      p.kill('SIGKILL');
      r = await p.exited;
    }
    return { ...r, ms: Date.now() - t0, forced };
  };
  t.kill = async () => {
    const p = t.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.expectExit = true;
    p.kill('SIGKILL');
    return p.exited;
  };
  t.restart = async () => {
    if (t.proc && t.proc.exitCode === null && t.proc.signalCode === null) await t.shutdown();
    attach(await spawnServe(dataDir, extra));
    return t;
  };
  /* Stops the server and removes the data dir (unless TREU_KEEP_DATA is set). */
  t.stop = async () => {
    const r = await t.shutdown();
    if (ownDir && !process.env.TREU_KEEP_DATA) {
      fs.rmSync(dataDir, { recursive: true, force: true });
    } else if (process.env.TREU_KEEP_DATA) {
      process.stderr.write(`treu data kept in ${dataDir}\n`);
    }
    return r;
  };
  return t;
}

function keyHeaders(t, opts) {
  const kind = opts.keys ?? 'server';
  const src = opts.project ?? t.keys;
  if (kind === 'none') return {};
  if (typeof kind === 'object') {
    // output of `treu keys create`: {app_id, app_token, kind}
    if (kind.kind === 'client') {
      return { 'X-Client-Application-Id': kind.app_id, 'X-Client-Token': kind.app_token };
    }
    return { 'X-App-Id': kind.app_id, 'X-App-Token': kind.app_token };
  }
  if (kind === 'client') {
    return { 'X-Client-Application-Id': src.client_app_id, 'X-Client-Token': src.client_token };
  }
  if (kind === 'server') return { 'X-App-Id': src.app_id, 'X-App-Token': src.app_token };
  throw new Error(`api(): unknown keys option ${kind}`);
}

/* api(t, method, path, {body, raw, headers, keys, project, contentType})
 *   body:        a value sent as JSON
 *   raw:         a string or Buffer sent unchanged
 *   keys:        'server' (default) | 'client' | 'none' | {app_id, app_token, kind}
 *   project:     a project's key set (from createProject) used instead of t.keys
 *   contentType: Content-Type for a body (default application/json; null = none)
 *   headers:     extra headers (win over the defaults; a null value drops a header)
 * Resolves {status, headers, json, text}. headers is a plain object with lower-case names. */
export async function api(t, method, urlPath, opts = {}) {
  const headers = { ...keyHeaders(t, opts) };
  let body;
  if (opts.raw !== undefined) body = Buffer.isBuffer(opts.raw) ? opts.raw : Buffer.from(opts.raw, 'utf8');
  else if (opts.body !== undefined) body = Buffer.from(JSON.stringify(opts.body), 'utf8');
  if (body !== undefined) {
    const ct = opts.contentType === undefined ? 'application/json' : opts.contentType;
    if (ct !== null) headers['Content-Type'] = ct;
  }
  for (const [k, v] of Object.entries(opts.headers ?? {})) {
    for (const h of Object.keys(headers)) if (h.toLowerCase() === k.toLowerCase()) delete headers[h];
    if (v !== null && v !== undefined) headers[k] = v;
  }
  // A Buffer body keeps fetch from adding its own text/plain Content-Type.
  const res = await fetch(t.url + urlPath, { method, headers, body });
  const text = await res.text();
  let json = null;
  if (text !== '') {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), json, text };
}

/* Like api() but over node:http with a fixed Content-Length, tolerant of the server
 * answering and closing before it read the whole body (used for the 413 test). */
export function rawHttp(t, method, urlPath, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(t.url + urlPath);
    const all = { ...keyHeaders(t, {}), ...headers };
    if (body !== undefined) all['Content-Length'] = String(body.length);
    let response = null;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: all, agent: false });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        response = { status: res.statusCode, headers: res.headers, json, text };
        resolve(response);
      });
      res.on('error', (e) => { if (!response) reject(e); });
    });
    req.on('error', (e) => { if (!response) setTimeout(() => { if (!response) reject(e); }, 200); });
    if (body !== undefined) req.end(body); else req.end();
  });
}

/* Asserts the standard error shape; returns the body. */
export function errorBody(r) {
  const b = r.json;
  if (!b || typeof b !== 'object') throw new Error(`expected a JSON error body, got ${r.status} ${r.text}`);
  return b;
}

/* Parses Prometheus text into [{name, labels:{...}, value}]. */
export function parseProm(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let lm;
      while ((lm = re.exec(m[3]))) labels[lm[1]] = lm[2].replace(/\\(.)/g, '$1');
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

export function promValue(samples, name, labels = {}) {
  const hit = samples.filter((s) => s.name === name &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hit.length === 0) return undefined;
  return hit.reduce((a, s) => a + s.value, 0);
}

/* Runs `fn(item)` over `items` with at most `n` in flight; resolves results in order. */
export async function pool(items, n, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return results;
}

let uniq = 0;
/* A string unique within this test process. */
export function uid(prefix = 'x') {
  uniq += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${uniq}`;
}

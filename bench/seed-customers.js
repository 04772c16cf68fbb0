#!/usr/bin/env node
// Creates COUNT customers through the API and writes their ids, one a line, to OUT.
// Used by bench/run before the GET benchmark.
//
//   node bench/seed-customers.js BASE_URL APP_ID APP_TOKEN COUNT OUT [RUN]
//
// Every answer must be 201 with an id starting "cust_"; anything else stops the
// script with the request, the expected and the actual answer, so server
// misbehaviour is loud.
'use strict';

const fs = require('fs');

async function main() {
  const [base, appId, token, countArg, out, runArg] = process.argv.slice(2);
  if (!base || !appId || !token || !countArg || !out) {
    console.error('usage: seed-customers.js BASE_URL APP_ID APP_TOKEN COUNT OUT [RUN]');
    process.exit(2);
  }
  const count = Number(countArg);
  const run = runArg || String(Date.now());
  const concurrency = 16;
  const ids = new Array(count);
  let next = 0;

  async function one(i) {
    const body = JSON.stringify({
      source_id: `seed-${run}-${i}`,
      name: `Seed Customer ${i}`,
      email: `seed-${run}-${i}@example.com`,
    });
    const res = await fetch(`${base}/v1/customers`, {
      method: 'POST',
      headers: { 'X-App-Id': appId, 'X-App-Token': token, 'Content-Type': 'application/json' },
      body,
    });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* reported below */ }
    if (res.status !== 201 || !json || typeof json.id !== 'string' || !json.id.startsWith('cust_')) {
      throw new Error(`POST /v1/customers ${body}\n  expected: 201 with {"id":"cust_..."}\n` +
        `  got: ${res.status} ${text.slice(0, 500)}`);
    }
    ids[i] = json.id;
  }

  async function worker() {
    while (next < count) {
      const i = next++;
      await one(i);
    }
  }

  await Promise.all(Array.from({ length: concurrency }, worker));

  // Read one back: the id must resolve, and to the same customer.
  const res = await fetch(`${base}/v1/customers/${ids[0]}`, {
    headers: { 'X-App-Id': appId, 'X-App-Token': token },
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* reported below */ }
  if (res.status !== 200 || !json || json.id !== ids[0] || json.source_id !== `seed-${run}-0`) {
    throw new Error(`GET /v1/customers/${ids[0]}\n  expected: 200 with id ${ids[0]}, ` +
      `source_id seed-${run}-0\n  got: ${res.status} ${text.slice(0, 500)}`);
  }

  if (new Set(ids).size !== count) {
    throw new Error(`expected ${count} distinct customer ids, got ${new Set(ids).size}`);
  }
  fs.writeFileSync(out, ids.join('\n') + '\n');
}

main().catch((err) => {
  console.error(`seed-customers: ${err.message || err}`);
  process.exit(1);
});

#!/usr/bin/env node
// Checks for the loyalty benchmarks (bench/run), read through the API while no load runs.
//
//   check-loyalty.js snapshot BASE_URL APP_ID APP_TOKEN LOYALTY_JSON OUT_JSON [SAMPLE]
//       Reads the program (GET /v1/loyalties/{id}: accounts.issued, ...), the customer
//       count, every member (GET /v1/loyalties/{id}/members, 100 a page) and SAMPLE
//       (default 20) random members one by one (GET /v1/loyalties/members/{code}), and
//       writes what it saw plus every inconsistency found to OUT_JSON:
//         * a member whose points != balance + pending_points + subtracted_points +
//           expired_points (docs/api.md "Members");
//         * a page walk that does not give "total" distinct members;
//         * a member read one by one that differs from its list entry.
//   check-loyalty.js notes BEFORE_JSON AFTER_JSON RESULT_JSON MAX_UNACKED LOYALTY_JSON
//       Prints the notes for one earn run (markdown, problems in bold): the points the
//       program issued during the run against the sum of loyalty.points in the 2xx
//       answers (RESULT_JSON "points_2xx"; up to MAX_UNACKED events may have been
//       committed without their answer being counted, e.g. in flight when wrk stopped),
//       answers that earned other than the rules say, the members' sum against
//       accounts.issued, the invariant, and whether events created customers.
// Problems also go to stderr as request / expected / got.
'use strict';

const fs = require('fs');

const num = (n) => Number(n).toLocaleString('en-US');
const readJson = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));

async function snapshot([base, appId, token, loyaltyFile, outFile, sampleArg]) {
  const L = readJson(loyaltyFile);
  const sample = Number(sampleArg || 20);
  const headers = { 'X-App-Id': appId, 'X-App-Token': token };
  async function get(p) {
    const res = await fetch(`${base}${p}`, { headers });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* below */ }
    return { status: res.status, json, text };
  }
  const pid = encodeURIComponent(L.program_id);

  async function accounts() {
    const prog = await get(`/v1/loyalties/${pid}`);
    const acc = prog.json && prog.json.accounts;
    if (prog.status !== 200 || !acc || !Number.isInteger(acc.issued)) {
      throw new Error(`GET /v1/loyalties/${L.program_id}\n  expected: 200 with "accounts": {"issued": N, ...}\n` +
        `  got: ${prog.status} ${prog.text.slice(0, 500)}`);
    }
    return acc;
  }
  // Requests the load generator left in flight may still be committing: wait until the
  // program's accounts stay the same across a whole read of its members (≤ 30 tries, 0.5 s apart).
  for (let attempt = 1; ; attempt++) {
    const before = await accounts();
    const snap = await read(before);
    const after = await accounts();
    if (JSON.stringify(before) === JSON.stringify(after)) return finish(snap);
    if (attempt === 30) {
      snap.problems.push({ request: `GET /v1/loyalties/${L.program_id} (twice, around reading the members)`,
        expected: 'the same accounts once the load has stopped', got: `${JSON.stringify(before)}, then ${JSON.stringify(after)}` });
      return finish(snap);
    }
    await new Promise((res) => setTimeout(res, 500));
  }

  function finish(snap) {
    fs.writeFileSync(outFile, JSON.stringify(snap) + '\n');
    for (const p of snap.problems) console.error(`check-loyalty: ${p.request}\n  expected: ${p.expected}\n  got: ${p.got}`);
  }

  async function read(acc) {
    const problems = [];
    const cust = await get('/v1/customers?limit=1');
    const customers = cust.status === 200 && cust.json && Number.isInteger(cust.json.total) ? cust.json.total : null;

    const lcOk = (lc) => lc && ['points', 'balance', 'pending_points', 'subtracted_points', 'expired_points']
      .every((f) => Number.isInteger(lc[f])) &&
      lc.points === lc.balance + lc.pending_points + lc.subtracted_points + lc.expired_points;

    const byId = new Map();
    let total = null;
    let listed = 0;
    const sums = { points: 0, balance: 0, pending: 0, subtracted: 0, expired: 0 };
    let badInvariant = 0;
    for (let page = 1; page <= 1000; page++) {
      const p = `/v1/loyalties/${pid}/members?limit=100&page=${page}`;
      const r = await get(p);
      const list = r.json && r.json.vouchers;
      if (r.status !== 200 || !Array.isArray(list) || !Number.isInteger(r.json.total)) {
        throw new Error(`GET ${p}\n  expected: 200 with {"vouchers": [...], "total": N}\n  got: ${r.status} ${r.text.slice(0, 500)}`);
      }
      total = r.json.total;
      for (const m of list) {
        listed++;
        if (byId.has(m.id)) continue;
        byId.set(m.id, m);
        const lc = m.loyalty_card || {};
        if (!lcOk(lc)) {
          if (++badInvariant <= 3) {
            problems.push({ request: `GET ${p}`, expected: `member ${m.id}: points = balance + pending_points + ` +
              'subtracted_points + expired_points', got: JSON.stringify(lc) });
          }
        }
        sums.points += lc.points || 0;
        sums.balance += lc.balance || 0;
        sums.pending += lc.pending_points || 0;
        sums.subtracted += lc.subtracted_points || 0;
        sums.expired += lc.expired_points || 0;
      }
      if (!r.json.has_more) break;
    }
    if (byId.size !== total || listed !== total) {
      problems.push({ request: `GET /v1/loyalties/${L.program_id}/members?limit=100&page=1..`,
        expected: `${total} distinct members over the pages ("total")`,
        got: `${listed} listed, ${byId.size} distinct` });
    }

    let sampleBad = 0;
    for (let k = 0; k < sample && L.members.length > 0; k++) {
      const m = L.members[Math.floor(Math.random() * L.members.length)];
      const p = `/v1/loyalties/members/${encodeURIComponent(m.code)}`;
      const r = await get(p);
      const lc = r.json && r.json.loyalty_card;
      const fromList = byId.get(m.id);
      let why = '';
      if (r.status !== 200 || !r.json || r.json.id !== m.id) why = `200 with member ${m.id}`;
      else if (!lcOk(lc)) why = 'points = balance + pending_points + subtracted_points + expired_points';
      else if (fromList && JSON.stringify(lc) !== JSON.stringify(fromList.loyalty_card)) {
        why = `the same loyalty_card as the list showed: ${JSON.stringify(fromList.loyalty_card)}`;
      }
      if (why) {
        sampleBad++;
        problems.push({ request: `GET ${p}`, expected: why, got: `${r.status} ${r.text.slice(0, 400)}` });
      }
    }

    return {
      accounts: acc, customers, members_total: total, members_listed: listed, members_distinct: byId.size,
      sums, bad_invariant: badInvariant, sample, sample_bad: sampleBad, problems,
    };
  }
}

function notes([beforeFile, afterFile, resultFile, maxUnackedArg, loyaltyFile]) {
  const B = readJson(beforeFile);
  const A = readJson(afterFile);
  const R = readJson(resultFile);
  const L = readJson(loyaltyFile);
  const maxUnacked = Number(maxUnackedArg);
  const out = [];
  const bad = (s) => {
    console.error(`check-loyalty: ${s}`);
    return `**${s}**`;
  };

  const issued = A.accounts.issued - B.accounts.issued;
  const acked = Number(R.points_2xx || 0);
  const slack = maxUnacked * L.max_points;
  if (issued >= acked && issued <= acked + slack) {
    out.push(`points: accounts.issued +${num(issued)} for ${num(acked)} in the 2xx answers` +
      (issued > acked ? ` (the rest from ≤ ${num(maxUnacked)} events unanswered when the load stopped)` : ''));
  } else {
    out.push(bad(`points: accounts.issued grew by ${num(issued)}, but the 2xx answers earned ${num(acked)} ` +
      `(expected between ${num(acked)} and ${num(acked + slack)})`));
  }
  if (R.mismatch > 0) out.push(bad(`${num(R.mismatch)} answers earned other points than the rules give for their minutes`));
  if (R.unparsed > 0) out.push(bad(`${num(R.unparsed)} 2xx answers without metadata.minutes or loyalty.points`));
  if (!(R.mismatch > 0) && !(R.unparsed > 0)) out.push('every 2xx answer earned what the rules give');

  const s = A.sums;
  const acc = A.accounts;
  if (s.points === acc.issued && s.balance + s.pending === acc.issued - acc.subtracted - acc.expired) {
    out.push(`${num(A.members_total)} members: Σ points = accounts.issued = ${num(acc.issued)} ` +
      `(balance ${num(s.balance)} + pending ${num(s.pending)})`);
  } else {
    out.push(bad(`${num(A.members_total)} members: Σ points ${num(s.points)}, Σ balance + pending ` +
      `${num(s.balance + s.pending)}, but accounts ${JSON.stringify(acc)}`));
  }
  if (A.bad_invariant > 0) {
    out.push(bad(`${num(A.bad_invariant)} listed members break points = balance + pending + subtracted + expired`));
  }
  if (A.sample_bad > 0) out.push(bad(`${A.sample_bad} of ${A.sample} members read one by one were wrong`));
  if (!(A.bad_invariant > 0) && !(A.sample_bad > 0)) {
    out.push(`points = balance + pending + subtracted + expired on every member (list) and ${A.sample} single reads`);
  }
  if (A.members_distinct !== A.members_total || A.members_listed !== A.members_total) {
    out.push(bad(`the member list's pages gave ${A.members_listed} members (${A.members_distinct} distinct) ` +
      `for "total": ${A.members_total}`));
  }
  if (B.customers !== null && A.customers !== null && A.customers !== B.customers) {
    out.push(bad(`the events changed the customer count from ${num(B.customers)} to ${num(A.customers)} ` +
      '(every event named an existing customer)'));
  }
  console.log(out.join('; '));
}

const [cmd, ...rest] = process.argv.slice(2);
const run = { snapshot, notes }[cmd];
if (!run) {
  console.error('usage: check-loyalty.js snapshot|notes ...');
  process.exit(2);
}
Promise.resolve(run(rest)).catch((err) => {
  console.error(`check-loyalty: ${err.message || err}`);
  process.exit(1);
});

#!/usr/bin/env node
// Sets up the loyalty benchmarks through the API and writes what the workloads need.
// Used by bench/run before the earn runs.
//
//   node bench/seed-loyalty.js BASE_URL APP_ID APP_TOKEN COUNT OUTDIR [RUN]
//
// Creates one loyalty program (points expire after 12 months; no pending period by
// default), 20 active earning rules for the custom event "ride.finished" (below), and
// COUNT members (customers given as objects, enrolled 16 at a time). Then it sends one
// probe event per value of "minutes" in PROBE_MINUTES for the first member and checks
// that each answer earned what the rules say.
//
// Writes into OUTDIR:
//   loyalty.json         {"program_id", "program_name", "rules", "members", "max_points",
//                         "probe": {"sent", "mismatches": [...]}}
//   member-sids.txt      one member's customer source_id a line (bench/events-earn.lua)
//   member-codes.txt     one member's card code a line (bench/members-get.lua)
//   earn-expected.txt    "MINUTES POINTS" a line for MINUTES 5..120: what one event
//                        earns (bench/events-earn.lua and bench/earn-open-loop.js check
//                        every answer against it)
//
// Every setup answer must be the documented one; anything else stops the script with
// the request, the expected and the actual answer. A probe event that earns other than
// expected does not stop it (the benchmark still runs): it is listed in loyalty.json.
'use strict';

const fs = require('fs');
const path = require('path');

const EVENT = 'ride.finished';
const MIN_MINUTES = 5;
const MAX_MINUTES = 120;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];
// High enough never to trigger: a member gets a few hundred events in a run.
const NO_LIMIT_DAY = { per_member: { count: 1000000, period: 'DAY' } };
const NO_LIMIT_MONTH = { per_member: { count: 1000000, period: 'MONTH' } };
const minutesCond = (ops) => ({ name: 'event.metadata', property: 'minutes', conditions: ops });
const fixed = (points) => ({ type: 'FIXED', points });
const perMinutes = (every, points, above) => ({
  type: 'PROPORTIONAL',
  calculation_type: 'CUSTOM_EVENT_METADATA',
  custom_event: { metadata: { property: 'minutes', every, points, ...(above === undefined ? {} : { above }) } },
});

// 20 rules; `expect` is what the rule earns for an event with `minutes` (all rules are
// valid every day and no limit triggers). Most rules fire on a typical ride, a few only
// on short or long rides, and one never does (it costs evaluation only).
const RULES = [
  { rule: { loyalty: fixed(5) }, expect: () => 5 },
  { rule: { loyalty: fixed(2), validity_day_of_week: ALL_DAYS }, expect: () => 2 },
  { rule: { loyalty: fixed(1), limits: NO_LIMIT_DAY }, expect: () => 1 },
  { rule: { loyalty: fixed(2), limits: NO_LIMIT_MONTH, validity_day_of_week: ALL_DAYS }, expect: () => 2 },
  { rule: { loyalty: perMinutes(1, 1) }, expect: (m) => m },
  { rule: { loyalty: perMinutes(5, 1), validity_day_of_week: ALL_DAYS, limits: NO_LIMIT_DAY },
    expect: (m) => Math.floor(m / 5) },
  { rule: { loyalty: perMinutes(10, 3), conditions: { 1: minutesCond({ $more_than: [10] }) } },
    expect: (m) => (m > 10 ? 3 * Math.floor(m / 10) : 0) },
  { rule: { loyalty: perMinutes(1, 2, 60) }, expect: (m) => (m > 60 ? 2 * (m - 60) : 0) },
  { rule: { loyalty: perMinutes(15, 2), validity_day_of_week: ALL_DAYS, limits: NO_LIMIT_DAY,
            conditions: { 1: minutesCond({ $more_than: [10] }) } },
    expect: (m) => (m > 10 ? 2 * Math.floor(m / 15) : 0) },
  { rule: { loyalty: perMinutes(20, 5), validity_day_of_week: ALL_DAYS,
            conditions: { 1: minutesCond({ $more_than: [10] }) } },
    expect: (m) => (m > 10 ? 5 * Math.floor(m / 20) : 0) },
  { rule: { loyalty: fixed(10), conditions: { 1: minutesCond({ $more_than: [60] }) } },
    expect: (m) => (m > 60 ? 10 : 0) },
  { rule: { loyalty: fixed(25), conditions: { 1: minutesCond({ $more_than: [100] }) } },
    expect: (m) => (m > 100 ? 25 : 0) },
  { rule: { loyalty: fixed(3), conditions: { 1: minutesCond({ $less_than: [15] }) } },
    expect: (m) => (m < 15 ? 3 : 0) },
  { rule: { loyalty: fixed(4), conditions: { 1: minutesCond({ $more_than_equal: [30], $less_than_equal: [45] }) } },
    expect: (m) => (m >= 30 && m <= 45 ? 4 : 0) },
  { rule: { loyalty: fixed(7), conditions: { 1: minutesCond({ $less_than: [10] }), 2: minutesCond({ $more_than: [110] }),
                                             logic: '1 or 2' } },
    expect: (m) => (m < 10 || m > 110 ? 7 : 0) },
  { rule: { loyalty: fixed(1), validity_day_of_week: ALL_DAYS, conditions: { 1: minutesCond({ $more_than: [0] }) } },
    expect: () => 1 },
  { rule: { loyalty: fixed(50), conditions: { 1: minutesCond({ $more_than: [1000] }) } }, expect: () => 0 },
  // Two rules keep their points pending for a 14-day return window, so members hold
  // both balance and pending points.
  { rule: { loyalty: fixed(3), pending_points: { period_days: 14 }, validity_day_of_week: ALL_DAYS },
    expect: () => 3 },
  { rule: { loyalty: perMinutes(30, 4), pending_points: { period_days: 14 }, limits: NO_LIMIT_DAY },
    expect: (m) => 4 * Math.floor(m / 30) },
  { rule: { loyalty: fixed(2), limits: NO_LIMIT_MONTH, conditions: { 1: minutesCond({ $less_than_equal: [90] }) } },
    expect: (m) => (m <= 90 ? 2 : 0) },
];

const expectedPoints = (m) => RULES.reduce((s, r) => s + r.expect(m), 0);
const PROBE_MINUTES = [5, 9, 10, 11, 14, 15, 29, 30, 45, 46, 59, 60, 61, 90, 91, 100, 101, 110, 111, 120];

async function main() {
  const [base, appId, token, countArg, outDir, runArg] = process.argv.slice(2);
  if (!base || !appId || !token || !countArg || !outDir) {
    console.error('usage: seed-loyalty.js BASE_URL APP_ID APP_TOKEN COUNT OUTDIR [RUN]');
    process.exit(2);
  }
  const count = Number(countArg);
  const run = runArg || String(Date.now());
  const headers = { 'X-App-Id': appId, 'X-App-Token': token, 'Content-Type': 'application/json' };

  async function call(method, p, body, want, check, expectText) {
    const res = await fetch(`${base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* reported below */ }
    if (res.status !== want || !json || !check(json)) {
      const shown = body === undefined ? '' : ` ${JSON.stringify(body).slice(0, 600)}`;
      throw new Error(`${method} ${p}${shown}\n  expected: ${want} with ${expectText}\n  got: ${res.status} ${text.slice(0, 600)}`);
    }
    return json;
  }

  // The program.
  const programName = `Ride Club ${run}`;
  const program = await call('POST', '/v1/loyalties', {
    name: programName,
    voucher: { type: 'LOYALTY_CARD', loyalty_card: { points: 0,
      expiration_rules: { period_type: 'MONTH', period_value: 12, rounding_type: 'END_OF_MONTH' } } },
  }, 201, (j) => typeof j.id === 'string' && j.id.startsWith('camp_'), '{"id":"camp_..."}');
  const pid = encodeURIComponent(program.id);

  // The rules, in one request.
  const ruleBodies = RULES.map((r) => ({ event: EVENT, ...r.rule }));
  const created = await call('POST', `/v1/loyalties/${pid}/earning-rules`, ruleBodies, 201,
    (j) => Array.isArray(j) && j.length === RULES.length &&
      j.every((e) => typeof e.id === 'string' && e.id.startsWith('ern_') && e.active === true && e.event === EVENT),
    `an array of ${RULES.length} active rules for "${EVENT}"`);
  const listed = await call('GET', `/v1/loyalties/${pid}/earning-rules?limit=100`, undefined, 200,
    (j) => j.total === RULES.length && Array.isArray(j.data) && j.data.length === RULES.length,
    `a list of the ${RULES.length} rules just created`);
  void created; void listed;

  // The members: each a new customer given as an object.
  const members = new Array(count);
  let next = 0;
  async function enrollOne(i) {
    const sid = `rider-${run}-${i}`;
    const body = { customer: { source_id: sid, name: `Rider ${i}`, email: `rider-${run}-${i}@example.com`,
                               metadata: { city: i % 2 ? 'Berlin' : 'Lisbon' } } };
    const m = await call('POST', `/v1/loyalties/${pid}/members`, body, 201,
      (j) => typeof j.id === 'string' && j.id.startsWith('v_') && typeof j.code === 'string' && j.code !== '' &&
        j.campaign_id === program.id && j.loyalty_card && j.loyalty_card.points === 0,
      `a new member {"id":"v_...","code":...,"campaign_id":"${program.id}"} with 0 points`);
    members[i] = { sid, code: m.code, id: m.id, customer_id: m.holder_id };
  }
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < count) await enrollOne(next++);
  }));
  if (new Set(members.map((m) => m.code)).size !== count) {
    throw new Error(`expected ${count} distinct card codes, got ${new Set(members.map((m) => m.code)).size}`);
  }
  await call('GET', `/v1/loyalties/${pid}/members?limit=1`, undefined, 200,
    (j) => j.total === count, `"total": ${count} members`);

  // Probe events for the first member: each must earn what the rules say.
  const probe = { sent: 0, mismatches: [] };
  const m0 = members[0];
  let probeTotal = 0;
  for (const minutes of PROBE_MINUTES) {
    const body = { event: EVENT, customer: m0.sid, metadata: { minutes } };
    const ev = await call('POST', '/v1/events', body, 201,
      (j) => typeof j.id === 'string' && j.id.startsWith('evt_') && j.loyalty && Number.isInteger(j.loyalty.points) &&
        Array.isArray(j.loyalty.entries),
      '{"id":"evt_...","loyalty":{"points":N,"entries":[...]}}');
    probe.sent++;
    const want = expectedPoints(minutes);
    const entriesSum = ev.loyalty.entries.reduce((s, e) => s + (e.points || 0), 0);
    const wantEntries = RULES.filter((r) => r.expect(minutes) > 0).length;
    if (ev.loyalty.points !== want || entriesSum !== ev.loyalty.points || ev.loyalty.entries.length !== wantEntries) {
      probe.mismatches.push({ request: `POST /v1/events ${JSON.stringify(body)}`,
        expected: `loyalty.points ${want} in ${wantEntries} entries`,
        got: `loyalty.points ${ev.loyalty.points} in ${ev.loyalty.entries.length} entries summing to ${entriesSum}` });
    }
    probeTotal += ev.loyalty.points;
  }
  await call('GET', `/v1/loyalties/members/${encodeURIComponent(m0.code)}`, undefined, 200,
    (j) => j.id === m0.id && j.loyalty_card && j.loyalty_card.points === probeTotal,
    `member ${m0.id} with loyalty_card.points ${probeTotal} (the probe events' sum)`);
  for (const p of probe.mismatches) {
    console.error(`seed-loyalty: probe mismatch: ${p.request}\n  expected: ${p.expected}\n  got: ${p.got}`);
  }

  const expectedLines = [];
  let maxPoints = 0;
  for (let m = MIN_MINUTES; m <= MAX_MINUTES; m++) {
    expectedLines.push(`${m} ${expectedPoints(m)}`);
    maxPoints = Math.max(maxPoints, expectedPoints(m));
  }
  fs.writeFileSync(path.join(outDir, 'earn-expected.txt'), expectedLines.join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'member-sids.txt'), members.map((m) => m.sid).join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'member-codes.txt'), members.map((m) => m.code).join('\n') + '\n');
  fs.writeFileSync(path.join(outDir, 'loyalty.json'), JSON.stringify({
    program_id: program.id, program_name: programName, event: EVENT, rules: RULES.length,
    members, max_points: maxPoints, min_minutes: MIN_MINUTES, max_minutes: MAX_MINUTES, probe,
  }) + '\n');
}

main().catch((err) => {
  console.error(`seed-loyalty: ${err.message || err}`);
  process.exit(1);
});

#!/usr/bin/env node
// scripts/api-index.mjs [--write] - the endpoint index of docs/api.md, made from the route
// table in src/api/routes.c: one row per route, with the section that documents it.
// Without --write it prints the index; with --write it replaces the block between the
// "api-index" markers in docs/api.md. tests/api/docs.test.mjs fails when the block and
// the route table disagree, so a new route cannot ship undocumented in the index.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BEGIN = '<!-- api-index:begin (scripts/api-index.mjs --write) -->';
const END = '<!-- api-index:end -->';

// First match wins: [test on "METHOD path", section title].
const SECTIONS = [
  [/ \/(health|metrics)$/, 'Health and metrics'],
  [/\/_test\//, 'Members'], // the test clock is described with the ledger's time
  [/\/customers\/\{[^}]+\}\/redeemables$|\/qualifications$/, 'Qualifications'],
  [/\/customers/, 'Customers'],
  [/\/earning-rules/, 'Earning rules'],
  [/\/tiers\/\{[^}]+\}\/rewards$|\/reward-assignments\/|\/loyalties\/\{[^}]+\}\/rewards|\/rewards\/\{[^}]+\}\/assignments/, 'Reward assignments'],
  [/\/tiers/, 'Tiers'],
  [/\/members\/\{[^}]+\}\/rewards$/, "A member's rewards"],
  [/\/members\/\{[^}]+\}\/redemption/, 'Redeeming a reward'],
  [/\/members/, 'Members'],
  [/\/loyalties/, 'Loyalty programs'],
  [/\/validation-rules/, 'Validation rules'],
  [/\/(orders|events)/, 'Orders and events'],
  [/\/v1\/(identify|track|batch|page|screen|group|alias)$/, 'Segment-style ingestion'],
  [/\/webhooks/, 'Webhooks'],
  [/\/rewards/, 'Rewards'],
  [/\/validate$|\/validations$/, 'Validations'],
  [/\/vouchers\/\{[^}]+\}\/redemption$|\/redemptions/, 'Redemptions'],
  [/\/(campaigns|vouchers|publications)/, 'Campaigns and vouchers'],
];

const anchor = (title) => title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');

export function routes() {
  const src = fs.readFileSync(path.join(ROOT, 'src/api/routes.c'), 'utf8');
  const re = /\{"(GET|POST|PUT|DELETE|PATCH)",\s*"([^"]+)",\s*(AUTH_[A-Z_]+)/g;
  const out = [];
  for (let m; (m = re.exec(src));) out.push({ method: m[1], path: m[2], auth: m[3] });
  return out;
}

export function index() {
  const auth = { AUTH_PUBLIC: 'none', AUTH_SERVER: 'server', AUTH_CLIENT: 'client', AUTH_WRITE_KEY: 'write key' };
  const rows = routes().map((r) => {
    const hit = SECTIONS.find(([re]) => re.test(`${r.method} ${r.path}`));
    if (!hit) throw new Error(`api-index: no section for ${r.method} ${r.path}; add one to SECTIONS`);
    return `| ${r.method} | \`${r.path}\` | ${auth[r.auth] ?? r.auth} | [${hit[1]}](#${anchor(hit[1])}) |`;
  });
  return [BEGIN, '', '| method | path | key | documented in |', '|---|---|---|---|', ...rows, '', END].join('\n');
}

export function docBlock(text) {
  const i = text.indexOf(BEGIN);
  const j = text.indexOf(END);
  return i < 0 || j < i ? null : text.slice(i, j + END.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const idx = index();
  if (process.argv.includes('--write')) {
    const file = path.join(ROOT, 'docs/api.md');
    const text = fs.readFileSync(file, 'utf8');
    const old = docBlock(text);
    if (!old) {
      console.error('api-index: docs/api.md has no api-index markers');
      process.exit(1);
    }
    fs.writeFileSync(file, text.replace(old, idx));
  } else {
    console.log(idx);
  }
}

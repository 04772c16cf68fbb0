// demo.test.mjs - `make run`'s demo seed (scripts/demo-seed.mjs) against the real binary: it
// builds the Jeweller Club with its rewards, coupons and referral program through the public
// API, checks every answer itself, and a second run changes nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTreu, api, REPO_ROOT } from './harness.mjs';

function seed(url, keysPath) {
  return new Promise((resolve) => {
    execFile('node', [path.join(REPO_ROOT, 'scripts/demo-seed.mjs'), url, keysPath], { timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code ?? 1 : 0, stdout: String(stdout), stderr: String(stderr) }));
  });
}

describe('the demo seed', () => {
  let t;
  let keysPath;
  before(async () => {
    t = await startTreu();
    keysPath = path.join(t.dataDir, 'demo-keys.json');
    fs.writeFileSync(keysPath, JSON.stringify({ app_id: t.keys.app_id, app_token: t.keys.app_token }));
  });
  after(async () => { await t?.stop(); });

  test('seeds a program with rewards, coupons and a referral program; a rerun changes nothing', async () => {
    const first = await seed(t.url, keysPath);
    assert.equal(first.code, 0, `${first.stdout}\n${first.stderr}`);
    assert.match(first.stdout, /creating the demo program/);
    const cards = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'demo-cards.json'), 'utf8'));
    assert.equal(cards.length, 4);
    const ada = cards.find((c) => c.source_id === 'ada');
    const rewards = await api(t, 'GET', `/v1/loyalties/members/${ada.code}/rewards?limit=100`);
    assert.equal(rewards.status, 200, rewards.text);
    const names = rewards.json.data.map((d) => d.reward.name).sort();
    assert.deepEqual(names, ['10 EUR off your next purchase', 'Free ring resizing', 'Pay with points', 'Polishing cloth']);
    const campaigns = await api(t, 'GET', '/v1/campaigns?limit=100');
    assert.deepEqual(campaigns.json.campaigns.map((c) => c.name).sort(), ['Bring a friend', 'Jeweller Club 10 EUR']);
    const q = await api(t, 'POST', '/v1/qualifications', { body: { customer: { source_id: 'ada' }, order: { amount: 25000 } } });
    assert.equal(q.status, 200, q.text);
    assert.ok(q.json.redeemables.total >= 1, q.text);

    const second = await seed(t.url, keysPath);
    assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
    assert.match(second.stdout, /already there/);
    const again = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'demo-cards.json'), 'utf8'));
    assert.deepEqual(again, cards, 'the rerun changed no balance');
  });
});

// The reward catalog and reward assignments (docs/api.md "Rewards", "Reward assignments"):
// every type, validation, updates, assignments through both paths, per-tier listings and
// tenant isolation.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, uid } from './harness.mjs';
import { createReward, material, assign, assertErr, enc, REWA_RE } from './rewards-helpers.mjs';

describe('rewards catalog', () => {
  let t;
  let other;
  before(async () => {
    t = await startTreu();
    other = await createProject(t.dataDir, 'other');
  });
  after(async () => { await t?.stop(); });

  const program = async (o = {}) => (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p'), ...o } })).json;

  test('each type is created, read back and listed with its parameters', async () => {
    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 100, points_ratio: 10 } } });
    assert.deepEqual([coin.type, coin.parameters], ['COIN', { coin: { exchange_ratio: 100, points_ratio: 10 } }]);
    const mat = await createReward(t, material({ stock: 3, attributes: { image_url: 'https://x/m.png', description: 'A mug' }, metadata: { size: 'L' } }));
    assert.deepEqual([mat.type, mat.stock, mat.redeemed], ['MATERIAL', 3, 0]);
    assert.deepEqual(mat.parameters, { product: { id: 'prod_mug', sku: 'mug-red' } });
    assert.deepEqual(mat.attributes, { image_url: 'https://x/m.png', description: 'A mug' });
    assert.deepEqual(mat.metadata, { size: 'L' });
    const custom = await createReward(t, { type: 'CUSTOM', parameters: { custom: { ticket: 'spa' } } });
    assert.equal(custom.type, 'CUSTOM');
    assert.equal(custom.stock, null, 'no stock = unlimited');
    const camp = await createReward(t, { type: 'CAMPAIGN', parameters: { campaign: { id: 'camp_gift', balance: 1000 } } });
    assert.deepEqual(camp.parameters, { campaign: { id: 'camp_gift', balance: 1000 } });
    const inferred = await createReward(t, { parameters: { product: { id: 'p2' } } });
    assert.equal(inferred.type, 'MATERIAL', 'type inferred from parameters');

    const got = await api(t, 'GET', `/v1/rewards/${mat.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, mat);
    const list = await api(t, 'GET', '/v1/rewards?limit=100');
    assert.equal(list.json.object, 'list');
    assert.equal(list.json.data_ref, 'data');
    assert.ok(list.json.total >= 5);
    const ids = list.json.data.map((r) => r.id);
    for (const r of [coin, mat, custom, camp, inferred]) assert.ok(ids.includes(r.id));
    assert.ok(ids.indexOf(inferred.id) < ids.indexOf(coin.id), 'newest first');
    const page = await api(t, 'GET', '/v1/rewards?limit=2&page=2');
    assert.equal(page.json.data.length, 2);
    assert.equal(page.json.data[0].id, list.json.data[2].id);
  });

  test('bad definitions get a 400 naming the field and create nothing', async () => {
    const before_ = (await api(t, 'GET', '/v1/rewards?limit=1')).json.total;
    const cases = [
      [{ type: 'MATERIAL', parameters: { product: { id: 'x' } } }, 'missing_param', 'name', true],
      [{ name: 'x', type: 'GIFT', parameters: {} }, 'invalid_param', 'type'],
      [{ name: 'x' }, 'missing_param', 'type'],
      [{ name: 'x', type: 'COIN', parameters: { coin: {} } }, 'missing_param', 'exchange_ratio'],
      [{ name: 'x', type: 'COIN', parameters: { coin: { exchange_ratio: 1.5 } } }, 'invalid_param', 'exchange_ratio'],
      [{ name: 'x', type: 'COIN', parameters: { coin: { exchange_ratio: 0 } } }, 'invalid_param', 'exchange_ratio'],
      [{ name: 'x', type: 'MATERIAL', parameters: { product: {} } }, 'missing_param', 'parameters.product.id'],
      [{ name: 'x', type: 'MATERIAL', parameters: { coin: { exchange_ratio: 1 } } }, 'missing_param', 'parameters'],
      [{ name: 'x', type: 'CAMPAIGN', parameters: { campaign: { balance: 5 } } }, 'missing_param', 'parameters.campaign.id'],
      [{ ...material(), name: 'x', stock: -1 }, 'invalid_param', 'stock'],
      [{ ...material(), name: 'x', stock: 'many' }, 'invalid_param', 'stock'],
      [{ ...material(), name: 'x', colour: 'red' }, 'invalid_param', 'colour'],
      [{ ...material(), name: 'x', start_date: '2030-01-02T00:00:00Z', expiration_date: '2030-01-01T00:00:00Z' }, 'invalid_param', 'expiration_date'],
      [{ ...material(), name: 'x', start_date: 'tomorrow' }, 'invalid_param', 'start_date'],
      [{ ...material(), name: 'x', limits: { per_member: { count: 0 } } }, 'invalid_param', 'count'],
      [{ ...material(), name: 'x', limits: { per_member: { count: 1, period: 'HOUR' } } }, 'invalid_param', 'period'],
      [{ ...material(), name: 'x', conditions: { 1: { name: 'customer.metadata', property: 'vip', conditions: { $wat: [1] } } } }, 'invalid_param', 'conditions'],
      [{ ...material(), name: 'x', variants: { attribute: 'metadata.tone', options: [] } }, 'invalid_param', 'variants.options'],
      [{ ...material(), name: 'x', variants: { attribute: 'metadata.tone', options: [{ value: 'a' }, { value: 'a' }] } }, 'invalid_param', 'same value'],
      [{ ...material(), name: 'x', variants: { attribute: 'metadata.tone', options: [{ value: 'a' }], default: 'b' } }, 'invalid_param', 'variants.default'],
      [{ ...material(), name: 'x', variants: { attribute: 'metadata.tone', options: [{ value: 'a', stock: -2 }] } }, 'invalid_param', 'stock'],
      [{ name: 'x', type: 'COIN', parameters: { coin: { exchange_ratio: 1 } }, variants: { attribute: 'metadata.t', options: [{ value: 'a' }] } }, 'invalid_param', 'variants'],
      [{ ...material(), name: 'x', metadata: [1] }, 'invalid_param', 'metadata'],
    ];
    for (const [body, key, detail] of cases) {
      const r = await api(t, 'POST', '/v1/rewards', { body });
      assertErr(r, 400, key, detail);
    }
    assert.equal((await api(t, 'GET', '/v1/rewards?limit=1')).json.total, before_, 'nothing was created');
    assertErr(await api(t, 'POST', '/v1/rewards', { raw: '{"name":' }), 400, 'invalid_json');
  });

  test('limits at their boundary: 50 variant options, 20 tiers, 5 validation rules per assignment', async () => {
    const opts = (n) => Array.from({ length: n }, (_, i) => ({ value: `v${i}`, stock: 1 }));
    const ok = await createReward(t, material({ variants: { attribute: 'metadata.v', options: opts(50) } }));
    assert.equal(ok.variants.options.length, 50);
    assertErr(await api(t, 'POST', '/v1/rewards', { body: material({ name: 'x', variants: { attribute: 'metadata.v', options: opts(51) } }) }), 400, 'invalid_param', '1 to 50');
    const long = 'x'.repeat(256);
    assertErr(await api(t, 'POST', '/v1/rewards', { body: material({ name: long }) }), 400, 'invalid_param', 'name');
    assertErr(await api(t, 'POST', '/v1/rewards', { body: { name: 'x', type: 'CUSTOM', parameters: 'spa' } }), 400, 'invalid_param', 'parameters');
    const p = await program();
    const r = await createReward(t, material());
    const ids = (n) => Array.from({ length: n }, (_, i) => `ltr_${i}`);
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: r.id, tiers: ids(21), parameters: { loyalty: { points: 1 } } } }), 400, 'invalid_param', 'at most 20');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: r.id, tiers: ids(20), parameters: { loyalty: { points: 1 } } } }), 404, 'not_found', 'ltr_0');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: r.id, validation_rules: ids(6), parameters: { loyalty: { points: 1 } } } }), 400, 'invalid_param', 'at most 5');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: r.id, parameters: { loyalty: { points: 1e12 + 1 } } } }), 400, 'invalid_param', 'points');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/rewards`)).json.total, 0, 'nothing assigned');
    await assign(t, p.id, r.id, 1e12);
  });

  test('update lays fields over the stored reward; the type cannot change; delete removes it', async () => {
    const r = await createReward(t, material({ stock: 2, metadata: { a: 1 } }));
    const u = await api(t, 'PUT', `/v1/rewards/${r.id}`, { body: { name: 'Renamed', stock: 10, active: false } });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual([u.json.name, u.json.stock, u.json.active, u.json.metadata], ['Renamed', 10, false, { a: 1 }]);
    assert.deepEqual(u.json.parameters, r.parameters);
    assert.ok(u.json.updated_at >= r.updated_at);
    assert.equal((await api(t, 'GET', `/v1/rewards/${r.id}`)).json.name, 'Renamed');
    const unlimited = await api(t, 'PUT', `/v1/rewards/${r.id}`, { body: { stock: null } });
    assert.equal(unlimited.json.stock, null);
    assertErr(await api(t, 'PUT', `/v1/rewards/${r.id}`, { body: { type: 'COIN' } }), 400, 'invalid_param', 'type');
    assertErr(await api(t, 'PUT', `/v1/rewards/${r.id}`, { body: { parameters: { product: {} } } }), 400, 'missing_param', 'parameters.product.id');
    assert.equal((await api(t, 'GET', `/v1/rewards/${r.id}`)).json.name, 'Renamed', 'a refused update changes nothing');
    assertErr(await api(t, 'PUT', '/v1/rewards/rew_nope', { body: { name: 'x' } }), 404, 'not_found', 'rew_nope');

    const p = await program();
    await assign(t, p.id, r.id, 10);
    assert.equal((await api(t, 'DELETE', `/v1/rewards/${r.id}`)).status, 204);
    assertErr(await api(t, 'GET', `/v1/rewards/${r.id}`), 404, 'not_found');
    assertErr(await api(t, 'DELETE', `/v1/rewards/${r.id}`), 404, 'not_found');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/rewards`)).json.total, 0, 'its assignments went with it');
  });

  test('assignments through /v1/rewards/{id}/assignments and /v1/loyalties/{id}/rewards', async () => {
    const p = await program();
    const mat = await createReward(t, material());
    const coin = await createReward(t, { type: 'COIN', parameters: { coin: { exchange_ratio: 1 } } });
    const a1 = await api(t, 'POST', `/v1/rewards/${mat.id}/assignments`, { body: { campaign: p.id, parameters: { loyalty: { points: 250 } } } });
    assert.equal(a1.status, 201, a1.text);
    assert.match(a1.json.id, REWA_RE);
    assert.deepEqual([a1.json.reward_id, a1.json.related_object_id, a1.json.related_object_type, a1.json.parameters, a1.json.object],
      [mat.id, p.id, 'campaign', { loyalty: { points: 250 } }, 'reward_assignment']);
    // by program name too, COIN without points
    const a2 = await assign(t, p.name, coin.id);
    assert.equal(a2.parameters, undefined, 'a COIN assignment has no points');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: coin.id, parameters: { loyalty: { points: 5 } } } }), 400, 'invalid_param', 'exchange ratio');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: mat.id } }), 400, 'missing_param', 'points');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: mat.id, parameters: { loyalty: { points: 0 } } } }), 400, 'invalid_param', 'points');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: mat.id, parameters: { loyalty: { points: 9 } } } }), 409, 'duplicate_found');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: 'rew_nope', parameters: { loyalty: { points: 9 } } } }), 404, 'not_found', 'rew_nope');
    assertErr(await api(t, 'POST', '/v1/loyalties/camp_nope/rewards', { body: { reward: mat.id, parameters: { loyalty: { points: 9 } } } }), 404, 'not_found', 'camp_nope');

    // Voucherify's SDKs send the program's side as an array of one; the answer is the assignment.
    const arrReward = await createReward(t, material());
    const arr = await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: [{ reward: arrReward.id, parameters: { loyalty: { points: 40 } } }] });
    assert.equal(arr.status, 201, arr.text);
    assert.deepEqual([arr.json.reward_id, arr.json.parameters], [arrReward.id, { loyalty: { points: 40 } }]);
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: [] }), 400, 'invalid_param');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: [{ reward: mat.id }, { reward: coin.id }] }), 400, 'invalid_param');
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: ['x'] }), 400, 'invalid_param');
    assertErr(await api(t, 'POST', `/v1/rewards/${mat.id}/assignments`, { body: [{ campaign: p.id }] }), 400, 'invalid_json');
    assert.equal((await api(t, 'DELETE', `/v1/loyalties/${p.id}/rewards/${arr.json.id}`)).status, 204);

    const byReward = await api(t, 'GET', `/v1/rewards/${mat.id}/assignments`);
    assert.deepEqual(byReward.json.data.map((a) => a.id), [a1.json.id]);
    const byProgram = await api(t, 'GET', `/v1/loyalties/${p.id}/rewards`);
    assert.deepEqual(byProgram.json.data.map((a) => a.id), [a2.id, a1.json.id]);
    assert.equal(byProgram.json.total, 2);
    assert.deepEqual((await api(t, 'GET', `/v1/rewards/${mat.id}/assignments/${a1.json.id}`)).json, a1.json);
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}/rewards/${a1.json.id}`)).json, a1.json);
    assertErr(await api(t, 'GET', `/v1/rewards/${coin.id}/assignments/${a1.json.id}`), 404, 'not_found');
    const details = await api(t, 'GET', `/v1/loyalties/${p.id}/reward-assignments/${a1.json.id}/reward`);
    assert.equal(details.status, 200, details.text);
    assert.deepEqual(details.json, mat);

    const up = await api(t, 'PUT', `/v1/loyalties/${p.id}/rewards/${a1.json.id}`, { body: { parameters: { loyalty: { points: 300 } } } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.parameters.loyalty.points, 300);
    const up2 = await api(t, 'PUT', `/v1/rewards/${mat.id}/assignments/${a1.json.id}`, { body: { parameters: { loyalty: { points: 320 } } } });
    assert.equal(up2.json.parameters.loyalty.points, 320);
    const other2 = await program();
    assertErr(await api(t, 'PUT', `/v1/loyalties/${other2.id}/rewards/${a1.json.id}`, { body: { parameters: { loyalty: { points: 1 } } } }), 404, 'not_found');
    assert.equal((await api(t, 'DELETE', `/v1/rewards/${mat.id}/assignments/${a1.json.id}`)).status, 204);
    assertErr(await api(t, 'DELETE', `/v1/loyalties/${p.id}/rewards/${a1.json.id}`), 404, 'not_found');
    assert.equal((await api(t, 'DELETE', `/v1/loyalties/${p.id}/rewards/${a2.id}`)).status, 204);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/rewards`)).json.total, 0);
  });

  test('tier rewards list the assignments open to a tier', async () => {
    const p = await program();
    const tiers = (await api(t, 'POST', `/v1/loyalties/${p.id}/tiers`, { body: [{ name: 'Silver', points: { from: 0, to: 99 } }, { name: 'Gold', points: { from: 100 } }] })).json;
    assert.equal(tiers.length, 2, JSON.stringify(tiers));
    const [silver, gold] = tiers;
    const all = await createReward(t, material());
    const goldOnly = await createReward(t, material());
    await assign(t, p.id, all.id, 10);
    await assign(t, p.id, goldOnly.id, 20, { tiers: [gold.id] });
    assertErr(await api(t, 'POST', `/v1/loyalties/${p.id}/rewards`, { body: { reward: (await createReward(t, material())).id, tiers: ['ltr_nope'], parameters: { loyalty: { points: 1 } } } }), 404, 'not_found', 'ltr_nope');
    const g = await api(t, 'GET', `/v1/loyalties/${p.id}/tiers/${gold.id}/rewards`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json.data.map((x) => x.reward.id).sort(), [all.id, goldOnly.id].sort());
    for (const x of g.json.data) assert.equal(x.object, 'loyalty_tier_reward');
    const s = await api(t, 'GET', `/v1/loyalties/${p.id}/tiers/${silver.id}/rewards`);
    assert.deepEqual(s.json.data.map((x) => x.reward.id), [all.id]);
    assert.equal(s.json.data[0].assignment.parameters.loyalty.points, 10);
    assertErr(await api(t, 'GET', `/v1/loyalties/${p.id}/tiers/ltr_nope/rewards`), 404, 'not_found', 'ltr_nope');
  });

  test('another project sees and changes none of it', async () => {
    const p = await program();
    const r = await createReward(t, material());
    const a = await assign(t, p.id, r.id, 10);
    const o = { project: other };
    assertErr(await api(t, 'GET', `/v1/rewards/${r.id}`, o), 404, 'not_found');
    assertErr(await api(t, 'PUT', `/v1/rewards/${r.id}`, { ...o, body: { name: 'stolen' } }), 404, 'not_found');
    assertErr(await api(t, 'DELETE', `/v1/rewards/${r.id}`, o), 404, 'not_found');
    assert.equal((await api(t, 'GET', '/v1/rewards', o)).json.total, 0);
    assertErr(await api(t, 'GET', `/v1/rewards/${r.id}/assignments/${a.id}`, o), 404, 'not_found');
    assertErr(await api(t, 'DELETE', `/v1/rewards/${r.id}/assignments/${a.id}`, o), 404, 'not_found');
    assertErr(await api(t, 'GET', `/v1/rewards/${r.id}/assignments`, o), 404, 'not_found');
    const op = (await api(t, 'POST', '/v1/loyalties', { ...o, body: { name: uid('p') } })).json;
    assertErr(await api(t, 'POST', `/v1/loyalties/${op.id}/rewards`, { ...o, body: { reward: r.id, parameters: { loyalty: { points: 1 } } } }), 404, 'not_found', r.id);
    assert.equal((await api(t, 'GET', `/v1/rewards/${r.id}`)).json.name, r.name, 'still there for its owner');
    assert.equal((await api(t, 'GET', `/v1/rewards/${enc(r.id)}`, { keys: 'client' })).status, 403);
  });
});

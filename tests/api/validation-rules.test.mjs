// Validation rules as a resource (docs/api.md "Validation rules") and earning rules that
// use them by validation_rule_id.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid, createProject } from './harness.mjs';

describe('validation rules', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  const dogOwners = { 1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } }, logic: '1' };

  test('CRUD, canonical rules, 400s naming the part, tenant isolation', async () => {
    const c = await api(t, 'POST', '/v1/validation-rules', { body: { name: 'Dog owners', rules: dogOwners, error: { message: 'Dog owners only' } } });
    assert.equal(c.status, 201, c.text);
    assert.match(c.json.id, /^val_/);
    assert.deepEqual(c.json.rules, { 1: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['dog'] } }, logic: '1' });
    assert.deepEqual(c.json.error, { message: 'Dog owners only' });
    const g = await api(t, 'GET', `/v1/validation-rules/${c.json.id}`);
    assert.deepEqual(g.json, c.json);
    const u = await api(t, 'PUT', `/v1/validation-rules/${c.json.id}`, { body: { name: 'Dogs or cats', rules: { 1: dogOwners[1], 2: { name: 'customer.metadata', property: 'pet', conditions: { $is: ['cat'] } }, logic: '1 OR 2' } } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.rules.logic, '1 or 2');
    assert.equal(u.json.error, null);
    const l = await api(t, 'GET', '/v1/validation-rules?limit=10');
    assert.ok(l.json.data.some((v) => v.id === c.json.id));
    for (const [body, field] of [
      [{ rules: dogOwners }, 'name'],
      [{ name: 'x' }, 'rules'],
      [{ name: 'x', rules: { 1: { name: 'order.amount', conditions: { $more_than: ['abc'] } } } }, 'rules.1.conditions.$more_than'],
      [{ name: 'x', rules: { 1: { name: 'order.amount', conditions: { $is: [1] } }, logic: '1 and 2' } }, 'rules.logic'],
    ]) {
      const r = await api(t, 'POST', '/v1/validation-rules', { body });
      assert.equal(r.status, 400, r.text);
      assert.ok(r.json.details.includes(field), `${field}: ${r.json.details}`);
    }
    const other = await createProject(t.dataDir, 'other');
    assert.equal((await fetch(`${t.url}/v1/validation-rules/${c.json.id}`, { headers: { 'X-App-Id': other.app_id, 'X-App-Token': other.app_token } })).status, 404);
    assert.equal((await api(t, 'DELETE', `/v1/validation-rules/${c.json.id}`)).status, 204);
    assert.equal((await api(t, 'GET', `/v1/validation-rules/${c.json.id}`)).status, 404);
  });

  test('an earning rule guarded by a validation rule earns only when it holds', async () => {
    const v = (await api(t, 'POST', '/v1/validation-rules', { body: { name: 'Dog owners', rules: dogOwners } })).json;
    const p = (await api(t, 'POST', '/v1/loyalties', { body: { name: uid('p') } })).json;
    const bad = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [{ event: 'review', loyalty: { type: 'FIXED', points: 5 }, validation_rule_id: 'val_nope' }] });
    assert.equal(bad.status, 400, bad.text);
    assert.ok(bad.json.details.includes('validation_rule_id'));
    const er = await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { body: [{ event: 'review', loyalty: { type: 'FIXED', points: 50 }, validation_rule_id: v.id }] });
    assert.equal(er.status, 201, er.text);
    assert.equal(er.json[0].validation_rule_id, v.id);
    const dog = uid('dog'), cat = uid('cat');
    await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { body: { customer: { source_id: dog, metadata: { pet: 'dog' } } } });
    await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { body: { customer: { source_id: cat, metadata: { pet: 'cat' } } } });
    const e1 = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: dog } });
    const e2 = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: cat } });
    assert.equal(e1.json.loyalty.points, 50, e1.text);
    assert.equal(e2.json.loyalty.points, 0, e2.text);
    await api(t, 'DELETE', `/v1/validation-rules/${v.id}`);
    const e3 = await api(t, 'POST', '/v1/events', { body: { event: 'review', customer: dog } });
    assert.equal(e3.json.loyalty.points, 0, 'a rule whose validation rule was deleted awards nothing');
  });
});

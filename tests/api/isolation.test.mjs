// isolation.test.mjs - tenant isolation across every resource (issue 9, "Access"): project
// A creates one of each thing; project B, on the same server and database, can neither
// read, change, delete, redeem nor roll back any of them by id, code or name, and B's lists
// never show them. Afterwards A's resources are unchanged.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, uid } from './harness.mjs';

const enc = encodeURIComponent;

async function must(t, method, path, body, statuses = [200, 201]) {
  const r = await api(t, method, path, body === undefined ? {} : { body });
  assert.ok(statuses.includes(r.status), `${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}

describe('tenant isolation across resources', () => {
  let t;
  let b;
  const a = {};
  before(async () => {
    t = await startTreu();
    b = await createProject(t.dataDir, 'other');
    a.customer = await must(t, 'POST', '/v1/customers', { source_id: uid('iso'), email: 'iso@example.com' });
    a.program = await must(t, 'POST', '/v1/loyalties', { name: uid('iso-prog') });
    a.member = await must(t, 'POST', `/v1/loyalties/${a.program.id}/members`, { customer: a.customer.id });
    await must(t, 'POST', `/v1/loyalties/${a.program.id}/members/${a.member.id}/balance`, { points: 500 });
    [a.rule] = await must(t, 'POST', `/v1/loyalties/${a.program.id}/earning-rules`, [{ event: 'iso', loyalty: { type: 'FIXED', points: 5 } }]);
    [a.tier] = await must(t, 'POST', `/v1/loyalties/${a.program.id}/tiers`, [{ name: 'Iso', points: { from: 0, to: null } }]);
    a.vrule = await must(t, 'POST', '/v1/validation-rules', { name: uid('iso-vr'), rules: { 1: { name: 'customer.metadata', property: 'x', conditions: { $is: ['y'] } } } });
    a.reward = await must(t, 'POST', '/v1/rewards', { name: uid('iso-rw'), type: 'MATERIAL', parameters: { product: { id: 'p' } } });
    a.assignment = await must(t, 'POST', `/v1/loyalties/${a.program.id}/rewards`, { reward: a.reward.id, parameters: { loyalty: { points: 10 } } });
    a.rewardRedemption = await must(t, 'POST', `/v1/loyalties/${a.program.id}/members/${a.member.id}/redemption`, { reward: { id: a.reward.id } });
    a.campaign = await must(t, 'POST', '/v1/campaigns', { name: uid('iso-camp'), campaign_type: 'DISCOUNT_COUPONS', vouchers_count: 2, voucher: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 100 } } });
    a.voucher = await must(t, 'POST', `/v1/vouchers/${uid('ISO')}`, { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 100 } });
    a.publication = await must(t, 'POST', '/v1/publications', { customer: { id: a.customer.id }, campaign: { name: a.campaign.name } });
    a.redemption = await must(t, 'POST', `/v1/vouchers/${enc(a.voucher.code)}/redemption`, { customer: { id: a.customer.id }, order: { amount: 1000 } });
    a.order = await must(t, 'POST', '/v1/orders', { source_id: uid('iso-ord'), customer: { id: a.customer.id }, amount: 1000, status: 'PAID' });
    a.webhook = await must(t, 'POST', '/v1/webhooks', { url: 'https://example.com/hook', events: ['*'] });
  });
  after(async () => { await t?.stop(); });

  const as = (method, path, body) => api(t, method, path, { project: b, ...(body === undefined ? {} : { body }) });

  test("another project gets 404 for every one of them, by id, code or name", async () => {
    const P = a.program.id;
    const reads = [
      `/v1/customers/${a.customer.id}`, `/v1/customers/${enc(a.customer.source_id)}`,
      `/v1/loyalties/${P}`, `/v1/loyalties/${enc(a.program.name)}`,
      `/v1/loyalties/members/${a.member.id}`, `/v1/loyalties/members/${enc(a.member.code)}`,
      `/v1/loyalties/members/${a.member.id}/transactions`, `/v1/loyalties/members/${a.member.id}/rewards`,
      `/v1/loyalties/${P}/earning-rules/${a.rule.id}`, `/v1/loyalties/${P}/tiers/${a.tier.id}`,
      `/v1/validation-rules/${a.vrule.id}`, `/v1/rewards/${a.reward.id}`,
      `/v1/loyalties/${P}/rewards/${a.assignment.id}`,
      `/v1/campaigns/${a.campaign.id}`, `/v1/campaigns/${enc(a.campaign.name)}`,
      `/v1/vouchers/${enc(a.voucher.code)}`, `/v1/redemptions/${a.redemption.id}`,
      `/v1/redemptions/${a.rewardRedemption.id}`, `/v1/orders/${a.order.id}`,
      `/v1/webhooks/${a.webhook.id}`, `/v1/customers/${a.customer.id}/redeemables`,
    ];
    for (const path of reads) {
      const own = await api(t, 'GET', path);
      assert.equal(own.status, 200, `GET ${path} from its own project (the path must exist): ${own.text}`);
      const r = await as('GET', path);
      assert.equal(r.status, 404, `GET ${path} from another project: ${r.status} ${r.text}`);
    }
    const writes = [
      ['PUT', `/v1/customers/${a.customer.id}`, { name: 'x' }],
      ['DELETE', `/v1/customers/${a.customer.id}`],
      ['PUT', `/v1/loyalties/${P}`, { description: 'x' }],
      ['POST', `/v1/loyalties/${P}/members`, { customer: { source_id: uid('b') } }],
      ['POST', `/v1/loyalties/members/${a.member.id}/balance`, { points: 100 }],
      ['POST', `/v1/loyalties/members/${a.member.id}/redemption`, { reward: { id: a.reward.id } }],
      ['PUT', `/v1/loyalties/${P}/earning-rules/${a.rule.id}`, { loyalty: { type: 'FIXED', points: 1 } }],
      ['DELETE', `/v1/validation-rules/${a.vrule.id}`],
      ['PUT', `/v1/rewards/${a.reward.id}`, { name: 'x' }],
      ['DELETE', `/v1/rewards/${a.reward.id}`],
      ['POST', `/v1/campaigns/${a.campaign.id}/disable`],
      ['DELETE', `/v1/vouchers/${enc(a.voucher.code)}`],
      ['POST', `/v1/vouchers/${enc(a.voucher.code)}/redemption`, { customer: { source_id: uid('b') }, order: { amount: 1000 } }],
      ['POST', `/v1/redemptions/${a.redemption.id}/rollback`],
      ['POST', `/v1/redemptions/${a.rewardRedemption.id}/rollback`],
      ['PUT', `/v1/orders/${a.order.id}`, { status: 'CANCELED' }],
      ['DELETE', `/v1/webhooks/${a.webhook.id}`],
    ];
    for (const [method, path, body] of writes) {
      const r = await as(method, path, body);
      assert.equal(r.status, 404, `${method} ${path} from another project: ${r.status} ${r.text}`);
      assert.ok(!/^no route/.test(r.json.details ?? ''), `${method} ${path} is a real route: ${r.text}`);
    }
  });

  test("another project's lists never show them, and they are unchanged", async () => {
    const lists = ['/v1/customers?limit=100', '/v1/loyalties?limit=100', '/v1/rewards?limit=100',
      '/v1/campaigns?limit=100', '/v1/vouchers?limit=100', '/v1/redemptions?limit=100',
      '/v1/publications?limit=100', '/v1/validation-rules?limit=100', '/v1/webhooks?limit=100'];
    const ids = Object.values(a).map((x) => x && (x.id ?? x.code)).filter(Boolean);
    for (const path of lists) {
      const r = await as('GET', path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      for (const id of ids) assert.ok(!r.text.includes(id), `${path} from another project shows ${id}`);
    }
    const m = await api(t, 'GET', `/v1/loyalties/members/${a.member.id}`);
    assert.equal(m.json.loyalty_card.balance, 490, 'the member kept its balance (500 less the reward)');
    assert.equal((await api(t, 'GET', `/v1/customers/${a.customer.id}`)).status, 200);
    assert.equal((await api(t, 'GET', `/v1/redemptions/${a.redemption.id}`)).json.status, 'SUCCEEDED');
    assert.equal((await api(t, 'GET', `/v1/orders/${a.order.id}`)).json.status, 'PAID');
    assert.equal((await api(t, 'GET', `/v1/webhooks/${a.webhook.id}`)).status, 200);
  });
});

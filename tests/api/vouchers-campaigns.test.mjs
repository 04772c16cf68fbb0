// Campaigns, code generation and publications (docs/api.md "Campaigns and vouchers",
// "Publications").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';
import { campaign, getVoucher } from './vouchers-helpers.mjs';

// 100,000 codes take about 23 s under ASan on the 2-core box; the bench measures that
// count against the optimized build (bench/vouchers). Here a fifth of it.
const MANY = Number(process.env.TREU_VOUCHERS_MANY || 20000);

async function allCodes(t, campaignId, total) {
  const codes = [];
  for (let page = 1; codes.length < total; page++) {
    const r = await api(t, 'GET', `/v1/vouchers?campaign=${campaignId}&limit=100&page=${page}`);
    assert.equal(r.status, 200, r.text);
    if (r.json.vouchers.length === 0) break;
    codes.push(...r.json.vouchers.map((v) => v.code));
  }
  return codes;
}

describe('campaigns and codes', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create, get by id and by name, update, enable/disable, list, delete', async () => {
    const name = uid('Summer');
    const c = await campaign(t, { name, voucher: { discount: { type: 'PERCENT', percent_off: 15 }, redemption: { quantity: 2 } }, opts: { description: 'Summer sale', metadata: { season: 'summer' } } });
    assert.match(c.id, /^camp_/);
    assert.equal(c.campaign_type, 'DISCOUNT_COUPONS');
    assert.equal(c.object, 'campaign');
    assert.deepEqual(c.voucher.discount, { type: 'PERCENT', percent_off: 15 });
    assert.deepEqual(c.voucher.redemption, { quantity: 2, per_customer: null });
    assert.equal(c.active, true);
    const byName = await api(t, 'GET', `/v1/campaigns/${name}`);
    assert.deepEqual(byName.json, c);
    const u = await api(t, 'PUT', `/v1/campaigns/${c.id}`, { body: { description: 'Longer', expiration_date: '2099-01-01T00:00:00Z' } });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.description, 'Longer');
    assert.equal(u.json.expiration_date, '2099-01-01T00:00:00.000Z');
    assert.deepEqual(u.json.metadata, { season: 'summer' });
    assert.equal((await api(t, 'POST', `/v1/campaigns/${c.id}/disable`)).json.active, false);
    assert.equal((await api(t, 'POST', `/v1/campaigns/${c.id}/enable`)).json.active, true);
    const dup = await api(t, 'POST', '/v1/campaigns', { body: { name, campaign_type: 'DISCOUNT_COUPONS', voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } } });
    assert.equal(dup.status, 409);
    const list = await api(t, 'GET', '/v1/campaigns?limit=100');
    assert.ok(list.json.campaigns.some((x) => x.id === c.id));
    assert.equal(list.json.data_ref, 'campaigns');
    const v = await api(t, 'POST', `/v1/campaigns/${c.id}/vouchers/HELLO-${name}`);
    assert.equal(v.status, 201, v.text);
    assert.equal(v.json.campaign, name);
    assert.deepEqual(v.json.discount, { type: 'PERCENT', percent_off: 15 });
    assert.equal(v.json.redemption.quantity, 2);
    assert.equal((await api(t, 'POST', `/v1/campaigns/${c.id}/vouchers/HELLO-${name}`)).status, 409);
    assert.equal((await api(t, 'DELETE', `/v1/campaigns/${c.id}`)).status, 204);
    assert.equal((await api(t, 'GET', `/v1/campaigns/${c.id}`)).status, 404);
    assert.equal((await api(t, 'GET', `/v1/vouchers/HELLO-${name}`)).status, 404);
  });

  test('generated codes follow the pattern and charset and are unique', async () => {
    const c = await campaign(t, { voucher: { code_config: { pattern: 'SUM-####-##', charset: 'ABCDEF', prefix: 'ignored' } }, opts: { vouchers_count: 300 } });
    assert.equal(c.vouchers_count, 300);
    const codes = await allCodes(t, c.id, 300);
    assert.equal(codes.length, 300);
    assert.equal(new Set(codes).size, 300);
    for (const code of codes) assert.match(code, /^SUM-[A-F]{4}-[A-F]{2}$/);
    const one = await api(t, 'POST', `/v1/campaigns/${c.id}/vouchers`);
    assert.equal(one.status, 201, one.text);
    assert.match(one.json.code, /^SUM-[A-F]{4}-[A-F]{2}$/);
    assert.ok(!codes.includes(one.json.code));
    assert.equal((await api(t, 'GET', `/v1/campaigns/${c.id}`)).json.vouchers_count, 301);
    const p = await campaign(t, { voucher: { code_config: { prefix: 'PRE-', postfix: '-X', length: 7, charset: '0123456789' } }, opts: { vouchers_count: 20 } });
    for (const code of await allCodes(t, p.id, 20)) assert.match(code, /^PRE-\d{7}-X$/);
  });

  test(`${MANY} codes in one create, all stored and distinct`, async () => {
    const t0 = Date.now();
    const c = await campaign(t, { voucher: { code_config: { length: 10 } }, opts: { vouchers_count: MANY } });
    const ms = Date.now() - t0;
    assert.equal(c.vouchers_count, MANY);
    const list = await api(t, 'GET', `/v1/vouchers?campaign=${c.id}&limit=100`);
    assert.equal(list.json.total, MANY);
    // A sample of pages: every code well-formed and no repeats across them.
    const seen = new Set();
    for (const page of [1, 2, Math.floor(MANY / 200), Math.floor(MANY / 100)]) {
      const r = await api(t, 'GET', `/v1/vouchers?campaign=${c.id}&limit=100&page=${page}`);
      for (const v of r.json.vouchers) {
        assert.match(v.code, /^[0-9A-HJ-NP-Z]{10}$/);
        assert.ok(!seen.has(v.code), `repeated code ${v.code}`);
        seen.add(v.code);
      }
    }
    assert.equal(seen.size, 400);
    process.stderr.write(`# ${MANY} codes generated in ${ms} ms\n`);
  });

  test('too many codes or too small a code space is a 400 that writes nothing', async () => {
    const name = uid('tiny');
    let r = await api(t, 'POST', '/v1/campaigns', { body: { name, campaign_type: 'DISCOUNT_COUPONS', vouchers_count: 20, voucher: { discount: { type: 'AMOUNT', amount_off: 1 }, code_config: { pattern: '######', charset: '01' } } } });
    assert.equal(r.status, 400);
    assert.match(r.json.details, /code space/);
    r = await api(t, 'POST', '/v1/campaigns', { body: { name, campaign_type: 'DISCOUNT_COUPONS', vouchers_count: 1000001, voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } } });
    assert.equal(r.status, 400);
    assert.match(r.json.details, /vouchers_count.*1000000/);
    assert.equal((await api(t, 'GET', `/v1/campaigns/${name}`)).status, 404);
  });

  test('bad campaign input gets a 400 naming the field', async () => {
    for (const [body, field] of [
      [{ campaign_type: 'DISCOUNT_COUPONS', voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } }, 'name'],
      [{ name: uid('b'), campaign_type: 'LOYALTY_PROGRAM' }, '/v1/loyalties'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS' }, 'voucher'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS', voucher: { discount: { type: 'PERCENT', percent_off: 150 } } }, 'percent_off'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS', voucher: { discount: { type: 'AMOUNT', amount_off: 1.5 } } }, 'amount_off'],
      [{ name: uid('b'), campaign_type: 'GIFT_VOUCHERS', voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } }, 'GIFT_VOUCHER'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS', voucher: { discount: { type: 'AMOUNT', amount_off: 1 }, code_config: { length: 2 } } }, 'code_config'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS', start_date: '2030-01-01', expiration_date: '2029-01-01', voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } }, 'expiration_date'],
      [{ name: uid('b'), campaign_type: 'DISCOUNT_COUPONS', vouchers_count: -1, voucher: { discount: { type: 'AMOUNT', amount_off: 1 } } }, 'vouchers_count'],
    ]) {
      const r = await api(t, 'POST', '/v1/campaigns', { body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.ok(r.json.details.includes(field), `${field} not in ${r.json.details}`);
    }
    const list = await api(t, 'GET', '/v1/campaigns?limit=100');
    assert.ok(!list.json.campaigns.some((c) => c.name.startsWith('b-')));
  });

  test('referral programs keep their settings', async () => {
    const settings = { conversion_event_type: 'redemption' };
    const c = await campaign(t, { opts: { campaign_type: 'REFERRAL_PROGRAM', referral_program: settings, vouchers_count: 1 } });
    assert.deepEqual(c.referral_program, settings);
    const v = (await api(t, 'GET', `/v1/vouchers?campaign=${c.id}`)).json.vouchers[0];
    assert.equal(v.is_referral_code, true);
  });
});

describe('standalone vouchers', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create with and without a code, get, update, list, delete', async () => {
    const code = uid('WELCOME');
    const c = await api(t, 'POST', `/v1/vouchers/${code}`, { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1000 }, redemption: { quantity: 5, per_customer: 1 }, category: 'welcome', metadata: { a: 1 } } });
    assert.equal(c.status, 201, c.text);
    assert.match(c.json.id, /^v_/);
    assert.equal(c.json.code, code);
    assert.equal(c.json.campaign, null);
    assert.equal(c.json.category, 'welcome');
    assert.deepEqual(c.json.redemption.quantity, 5);
    assert.equal(c.json.redemption.per_customer, 1);
    assert.equal((await api(t, 'GET', `/v1/vouchers/${c.json.id}`)).json.code, code);
    const gen = await api(t, 'POST', '/v1/vouchers', { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'FIXED', fixed_amount: 100 }, code_config: { prefix: 'GEN-', length: 6 } } });
    assert.equal(gen.status, 201, gen.text);
    assert.match(gen.json.code, /^GEN-[0-9A-Z]{6}$/);
    // The SDK's Vouchers.create without a code posts to /v1/vouchers/ (encode(undefined) is "").
    const sdk = await api(t, 'POST', '/v1/vouchers/', { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1 } } });
    assert.equal(sdk.status, 201, sdk.text);
    const u = await api(t, 'PUT', `/v1/vouchers/${code}`, { body: { code, active: false, category: 'vip', redemption: { quantity: 7 }, expiration_date: '2099-01-01' } });
    assert.equal(u.status, 200, u.text);
    assert.deepEqual([u.json.active, u.json.category, u.json.redemption.quantity, u.json.expiration_date], [false, 'vip', 7, '2099-01-01T00:00:00.000Z']);
    assert.deepEqual(u.json.discount, { type: 'AMOUNT', amount_off: 1000 });
    const badU = await api(t, 'PUT', `/v1/vouchers/${code}`, { body: { discount: { type: 'AMOUNT', amount_off: 5 } } });
    assert.equal(badU.status, 400);
    assert.match(badU.json.details, /discount/);
    const dup = await api(t, 'POST', `/v1/vouchers/${code}`, { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1 } } });
    assert.equal(dup.status, 409);
    const list = await api(t, 'GET', '/v1/vouchers?limit=100');
    assert.equal(list.json.total, 3);
    assert.equal(list.json.data_ref, 'vouchers');
    assert.equal((await api(t, 'DELETE', `/v1/vouchers/${code}`)).status, 204);
    assert.equal((await api(t, 'GET', `/v1/vouchers/${code}`)).status, 404);
    assert.equal((await api(t, 'DELETE', `/v1/vouchers/${code}`)).status, 404);
  });

  test('bad voucher input gets a 400 naming the field and writes nothing', async () => {
    for (const [path, body, field] of [
      ['/v1/vouchers/X1', { type: 'DISCOUNT_VOUCHER' }, 'discount'],
      ['/v1/vouchers/X1', { type: 'LUCKY_DRAW' }, 'type'],
      ['/v1/vouchers/X1', { discount: { type: 'AMOUNT', amount_off: 1e14 } }, 'amount_off'],
      ['/v1/vouchers/X1', { discount: { type: 'AMOUNT', amount_off: 5, amount_off_formula: 'x' } }, 'formula'],
      ['/v1/vouchers/X1', { discount: { type: 'UNIT', unit_off: 1 } }, 'unit_type'],
      ['/v1/vouchers/X1', { discount: { type: 'AMOUNT', amount_off: 5 }, code: 'X2' }, 'code'],
      ['/v1/vouchers/X1', { discount: { type: 'AMOUNT', amount_off: 5 }, validation_rules: 'val_1' }, 'validation_rules'],
      ['/v1/vouchers/X1', { discount: { type: 'AMOUNT', amount_off: 5 }, start_date: 'tomorrow' }, 'start_date'],
      ['/v1/vouchers', { discount: { type: 'AMOUNT', amount_off: 5 }, code: 'has space' }, 'code'],
      ['/v1/vouchers', { type: 'GIFT_VOUCHER', gift: { amount: 0 } }, 'gift.amount'],
    ]) {
      const r = await api(t, 'POST', path, { body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.ok(r.json.details.includes(field), `${field} not in ${r.json.details}`);
    }
    assert.equal((await api(t, 'GET', '/v1/vouchers/X1')).status, 404);
  });
});

describe('publications', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('same source_id gives the same publication and voucher; new ones are generated when none is left', async () => {
    const c = await campaign(t, { opts: { vouchers_count: 1 } });
    const body = { customer: { source_id: uid('ann') }, campaign: { name: c.name }, source_id: uid('pub'), metadata: { why: 'welcome' } };
    const a = await api(t, 'POST', '/v1/publications', { body });
    assert.equal(a.status, 200, a.text);
    assert.match(a.json.id, /^pub_/);
    assert.equal(a.json.voucher.holder_id, a.json.customer_id);
    assert.deepEqual(a.json.metadata, { why: 'welcome' });
    const b = await api(t, 'POST', '/v1/publications', { body });
    assert.equal(b.json.id, a.json.id);
    assert.equal(b.json.voucher.code, a.json.voucher.code);
    // The campaign's only code is taken: the next customer gets a fresh one.
    const n = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: uid('ben') }, campaign: c.name } });
    assert.equal(n.status, 200, n.text);
    assert.notEqual(n.json.voucher.code, a.json.voucher.code);
    assert.equal((await api(t, 'GET', `/v1/campaigns/${c.id}`)).json.vouchers_count, 2);
    const list = await api(t, 'GET', `/v1/publications?campaign=${c.id}`);
    assert.equal(list.json.total, 2);
    assert.equal(list.json.data_ref, 'publications');
    const mine = await api(t, 'GET', `/v1/vouchers?customer=${body.customer.source_id}`);
    assert.deepEqual(mine.json.vouchers.map((v) => v.code), [a.json.voucher.code]);
  });

  test('a named voucher is published once; another customer is refused', async () => {
    const code = uid('PUB');
    assert.equal((await api(t, 'POST', `/v1/vouchers/${code}`, { body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 5 } } })).status, 201);
    const a = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: uid('x') }, voucher: code } });
    assert.equal(a.status, 200, a.text);
    const b = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: uid('y') }, voucher: code } });
    assert.equal(b.status, 400);
    assert.equal(b.json.key, 'voucher_already_published');
    assert.equal((await getVoucher(t, code)).holder_id, a.json.customer_id);
    for (const bad of [{ customer: 'x' }, { customer: { source_id: 'x' }, campaign: 'c', voucher: code }, { campaign: 'x' }]) {
      const r = await api(t, 'POST', '/v1/publications', { body: bad });
      assert.ok(r.status >= 400 && r.status < 500, r.text);
    }
    const nocamp = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: uid('z') }, campaign: { name: 'no-such-campaign' } } });
    assert.equal(nocamp.status, 404);
  });
});

// referrals.test.mjs - referral programs (docs/api.md "Referral programs"): a referral code
// published to the referrer gives others the campaign's discount; the referee's paid order
// earns the referrer points (first order, or each, as configured); self-referral and a
// second referral of the same person are refused; cancelling the order takes the bonus back
// through the ledger's reversal path; a rolled-back redemption withdraws the referral.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, uid } from './harness.mjs';
import { assertError, createProgram, newMember, expectCard, transactions, enc } from './loyalty-helpers.mjs';

async function referralCampaign(t, programId, reward = {}, discount = { type: 'PERCENT', percent_off: 10 }) {
  const r = await api(t, 'POST', '/v1/campaigns', {
    body: {
      name: uid('refer'),
      campaign_type: 'REFERRAL_PROGRAM',
      voucher: { type: 'DISCOUNT_VOUCHER', discount },
      referral_program: {
        conversion_event_type: 'redemption',
        referrer_reward: { type: 'LOYALTY_CARD', related_object_parent: { id: programId }, amount: 100, ...reward },
      },
    },
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function referralCode(t, campaign, sid) {
  const r = await api(t, 'POST', '/v1/publications', { body: { customer: { source_id: sid }, campaign: { name: campaign.name } } });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.voucher.is_referral_code, true, r.text);
  return r.json.voucher.code;
}

const useCode = (t, code, sid, amount = 10000) =>
  api(t, 'POST', `/v1/vouchers/${enc(code)}/redemption`, { body: { customer: { source_id: sid }, order: { amount } } });

async function paidOrder(t, sid, amount = 9000) {
  const r = await api(t, 'POST', '/v1/orders', { body: { source_id: uid('ord'), customer: { source_id: sid }, amount, status: 'PAID' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function memberOf(t, programId, sid) {
  const r = await api(t, 'POST', `/v1/loyalties/${enc(programId)}/members`, { body: { customer: { source_id: sid } } });
  assert.ok(r.status === 200 || r.status === 201, r.text);
  return r.json;
}

describe('referral programs', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('the referee gets the discount, the referrer 100 points for the first paid order only', async () => {
    const p = await createProgram(t);
    const a = await newMember(t, p.id);
    const rc = await referralCampaign(t, p.id);
    const code = await referralCode(t, rc, a.sid);

    // The referrer cannot use their own code; nothing is recorded.
    assertError(await useCode(t, code, a.sid), 400, 'self_referral');

    const b = uid('referee');
    const red = await useCode(t, code, b, 10000);
    assert.equal(red.status, 200, red.text);
    assert.equal(red.json.order.total_discount_amount, 1000, red.text);

    // Referred once per campaign: not again with the same code, nor with another's.
    assertError(await useCode(t, code, b), 400, 'customer_already_referred');
    const c = await newMember(t, p.id);
    assertError(await useCode(t, await referralCode(t, rc, c.sid), b), 400, 'customer_already_referred');

    await expectCard(t, a.member.id, { balance: 0 }, 'before any paid order');
    const o1 = await paidOrder(t, b);
    assert.equal(o1.loyalty?.points ?? 0, 0, 'the referrer bonus is not the order customer\'s');
    await expectCard(t, a.member.id, { balance: 100, points: 100 }, 'after the first paid order');
    const tx = await transactions(t, a.member.id);
    const bonus = tx.data.find((e) => e.type === 'POINTS_ACCRUAL');
    assert.ok(bonus, JSON.stringify(tx.data));
    assert.match(bonus.reason, /referral/);
    assert.equal(bonus.related_object_id ?? bonus.details?.order?.id ?? o1.id, o1.id);

    await paidOrder(t, b);
    await expectCard(t, a.member.id, { balance: 100 }, 'FIRST_ORDER pays once');

    // Cancelling the order that paid the bonus takes it back through a refund entry.
    const cancel = await api(t, 'PUT', `/v1/orders/${enc(o1.id)}`, { body: { status: 'CANCELED' } });
    assert.equal(cancel.status, 200, cancel.text);
    await expectCard(t, a.member.id, { balance: 0, points: 100, subtracted_points: 100 }, 'after the cancel');
    const after = await transactions(t, a.member.id);
    assert.ok(after.data.some((e) => e.type === 'POINTS_REFUND' && e.points === -100), JSON.stringify(after.data));
    // Its one bonus is gone: later orders pay nothing.
    await paidOrder(t, b);
    await expectCard(t, a.member.id, { balance: 0 }, 'a reversed referral pays no more');
  });

  test('EACH_ORDER pays every paid order, enrols a referrer who is not a member, and a partial refund keeps the bonus', async () => {
    const p = await createProgram(t);
    const rc = await referralCampaign(t, p.id, { amount: 50, trigger: 'EACH_ORDER' });
    const d = uid('referrer');
    const code = await referralCode(t, rc, d);
    const e = uid('referee');
    assert.equal((await useCode(t, code, e)).status, 200);
    const o1 = await paidOrder(t, e, 8000);
    await paidOrder(t, e, 3000);
    const m = await memberOf(t, p.id, d);
    await expectCard(t, m.id, { balance: 100 }, 'two orders, 50 each');
    const partial = await api(t, 'PUT', `/v1/orders/${enc(o1.id)}`, { body: { amount: 4000 } });
    assert.equal(partial.status, 200, partial.text);
    await expectCard(t, m.id, { balance: 100 }, 'a partial refund keeps the bonus');
    const cancel = await api(t, 'PUT', `/v1/orders/${enc(o1.id)}`, { body: { status: 'CANCELED' } });
    assert.equal(cancel.status, 200, cancel.text);
    await expectCard(t, m.id, { balance: 50 }, 'the canceled order\'s bonus is gone, the other stays');
    await paidOrder(t, e, 1000);
    await expectCard(t, m.id, { balance: 100 }, 'EACH_ORDER keeps paying');
  });

  test('a bonus already spent is recorded as a shortfall, never a negative balance', async () => {
    const p = await createProgram(t);
    const a = await newMember(t, p.id);
    const rc = await referralCampaign(t, p.id);
    const code = await referralCode(t, rc, a.sid);
    const b = uid('referee');
    assert.equal((await useCode(t, code, b)).status, 200);
    const o = await paidOrder(t, b);
    const spend = await api(t, 'POST', `/v1/loyalties/${enc(p.id)}/members/${enc(a.member.id)}/balance`, { body: { points: -80 } });
    assert.equal(spend.status, 200, spend.text);
    assert.equal((await api(t, 'PUT', `/v1/orders/${enc(o.id)}`, { body: { status: 'CANCELED' } })).status, 200);
    await expectCard(t, a.member.id, { balance: 0 }, 'only what was left is taken');
    const tx = await transactions(t, a.member.id);
    const refund = tx.data.find((e) => e.type === 'POINTS_REFUND');
    assert.ok(refund, JSON.stringify(tx.data));
    assert.equal(refund.points, -20);
  });

  test('a rolled-back referral redemption withdraws the referral; the customer may be referred again', async () => {
    const p = await createProgram(t);
    const a = await newMember(t, p.id);
    const rc = await referralCampaign(t, p.id);
    const code = await referralCode(t, rc, a.sid);
    const f = uid('referee');
    const red = await useCode(t, code, f);
    assert.equal(red.status, 200, red.text);
    const rb = await api(t, 'POST', `/v1/redemptions/${enc(red.json.id)}/rollback`);
    assert.equal(rb.status, 200, rb.text);
    await paidOrder(t, f);
    await expectCard(t, a.member.id, { balance: 0 }, 'no referral, no bonus');
    assert.equal((await useCode(t, code, f)).status, 200, 'referred again after the rollback');
    await paidOrder(t, f);
    await expectCard(t, a.member.id, { balance: 100 });
  });

  test('a referral program with a bad referrer reward is refused and nothing is created', async () => {
    const p = await createProgram(t);
    const before = (await api(t, 'GET', '/v1/campaigns?limit=100')).json.total;
    const bad = [
      [{ type: 'GIFT_VOUCHER', related_object_parent: { id: p.id }, amount: 5 }, 'type'],
      [{ type: 'LOYALTY_CARD', amount: 5 }, 'related_object_parent.id'],
      [{ type: 'LOYALTY_CARD', related_object_parent: { id: p.id }, amount: 0 }, 'amount'],
      [{ type: 'LOYALTY_CARD', related_object_parent: { id: p.id }, amount: 1.5 }, 'amount'],
      [{ type: 'LOYALTY_CARD', related_object_parent: { id: p.id }, amount: 5, trigger: 'SOMETIMES' }, 'trigger'],
      [{ type: 'LOYALTY_CARD', related_object_parent: { id: 'camp_nope' }, amount: 5 }, 'camp_nope'],
    ];
    for (const [rr, field] of bad) {
      const r = await api(t, 'POST', '/v1/campaigns', {
        body: { name: uid('bad'), campaign_type: 'REFERRAL_PROGRAM', voucher: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 100 } }, referral_program: { referrer_reward: rr } },
      });
      assertError(r, 400, 'invalid_param');
      assert.ok(r.json.details.includes(field), `${JSON.stringify(rr)}: ${r.text}`);
    }
    assert.equal((await api(t, 'GET', '/v1/campaigns?limit=100')).json.total, before);
  });
});

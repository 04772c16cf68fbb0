// loyalty.test.mjs - the official Voucherify SDK against treu: loyalty programs, members,
// balances, earning rules, tiers, rewards, reward assignments, reward redemption, and a
// member's transactions and activities.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWithSdk, sdkError, uid } from './sdk.mjs';

let t;
let vf;
before(async () => { ({ t, vf } = await startWithSdk()); });
after(async () => { await t?.stop(); });

/* A loyalty program as the SDK's LoyaltiesCreateCampaign describes it. */
async function newProgram(extra = {}) {
  return vf.loyalties.create({
    name: uid('club'), type: 'AUTO_UPDATE', vouchers_count: 0,
    voucher: { type: 'LOYALTY_CARD', loyalty_card: { points: 0 }, code_config: { pattern: 'CLUB-########' } },
    metadata: { region: 'EU' },
    ...extra,
  });
}

test('loyalty campaigns: create, get, list', async () => {
  const p = await newProgram();
  assert.match(p.id, /^camp_/);
  assert.equal(p.object, 'campaign');
  assert.equal(p.campaign_type, 'LOYALTY_PROGRAM');
  assert.equal(p.type, 'AUTO_UPDATE');
  assert.equal(p.voucher.type, 'LOYALTY_CARD');
  assert.equal(p.voucher.code_config.pattern, 'CLUB-########');
  assert.deepEqual(p.metadata, { region: 'EU' });
  const got = await vf.loyalties.get(p.id);
  assert.equal(got.id, p.id);
  assert.equal(got.name, p.name);
  const byName = await vf.loyalties.get(p.name);
  assert.equal(byName.id, p.id);
  const p2 = await newProgram();
  const list = await vf.loyalties.list({ limit: 100 });
  assert.equal(list.object, 'list');
  assert.equal(list.data_ref, 'campaigns');
  const ids = list.campaigns.map((c) => c.id);
  assert.ok(ids.includes(p.id) && ids.includes(p2.id), JSON.stringify(ids));
  assert.ok(list.total >= 2);
});

test('members: createMember, getMember, add and subtract balance', async () => {
  const p = await newProgram();
  const sid = uid('ada');
  const m = await vf.loyalties.createMember(p.id, {
    customer: { source_id: sid, name: 'Ada', email: 'ada@example.com' }, metadata: { card: 'plastic' },
  });
  assert.match(m.id, /^v_/);
  assert.equal(m.object, 'voucher');
  assert.equal(m.type, 'LOYALTY_CARD');
  assert.match(m.code, /^CLUB-[0-9A-Z]{8}$/);
  assert.equal(m.campaign_id, p.id);
  assert.match(m.holder_id, /^cust_/);
  assert.equal(m.loyalty_card.points, 0);
  assert.equal(m.loyalty_card.balance, 0);
  const cust = await vf.customers.get(sid);
  assert.equal(cust.id, m.holder_id);
  assert.equal(cust.email, 'ada@example.com');

  // Enrolling the same customer again answers its card.
  const again = await vf.loyalties.createMember(p.id, { customer: { source_id: sid } });
  assert.equal(again.id, m.id);

  const add = await vf.loyalties.addOrRemoveCardBalance(m.code, { points: 500, reason: 'welcome' }, p.id);
  assert.equal(add.points, 500);
  assert.equal(add.total, 500);
  assert.equal(add.balance, 500);
  assert.equal(add.type, 'loyalty_card');
  assert.equal(add.object, 'balance');
  assert.equal(add.operation_type, 'MANUAL');
  assert.equal(add.related_object.id, m.id);
  assert.equal(add.related_object.type, 'voucher');

  const sub = await vf.loyalties.addOrRemoveCardBalance(m.id, { points: -120 });
  assert.equal(sub.points, -120);
  assert.equal(sub.balance, 380);

  const more = await vf.loyalties.addPoints(p.id, m.id, { points: 20 });
  assert.equal(more.balance, 400);

  const got = await vf.loyalties.getMember(p.id, m.id);
  assert.equal(got.id, m.id);
  assert.equal(got.loyalty_card.points, 520);
  assert.equal(got.loyalty_card.balance, 400);
  const byCode = await vf.loyalties.getMember(null, m.code);
  assert.equal(byCode.id, m.id);
  assert.equal(byCode.loyalty_card.balance, 400);

  const tooMuch = await sdkError(vf.loyalties.addOrRemoveCardBalance(m.id, { points: -1000 }, p.id));
  assert.equal(tooMuch.code, 400);
  assert.equal(tooMuch.key, 'insufficient_balance');

  const members = await vf.loyalties.listMembers(p.id, { limit: 10 });
  assert.equal(members.data_ref, 'vouchers');
  assert.deepEqual(members.vouchers.map((v) => v.id), [m.id]);
});

test('earning rules: create, list, update, delete', async () => {
  const p = await newProgram();
  const created = await vf.loyalties.createEarningRule(p.id, [
    { event: 'order.paid', loyalty: { type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT', order: { amount: { every: 100, points: 2 } } } },
    { event: 'review.written', loyalty: { type: 'FIXED', points: 30 }, metadata: { channel: 'web' } },
  ]);
  assert.ok(Array.isArray(created));
  assert.equal(created.length, 2);
  for (const r of created) {
    assert.match(r.id, /^ern_/);
    assert.equal(r.object, 'earning_rule');
    assert.equal(r.active, true);
  }
  const [orderRule, reviewRule] = created;
  assert.equal(orderRule.event, 'order.paid');
  assert.equal(orderRule.loyalty.order.amount.points, 2);
  assert.equal(reviewRule.loyalty.points, 30);

  const list = await vf.loyalties.listEarningRules(p.id, { limit: 10 });
  assert.equal(list.object, 'list');
  assert.equal(list.total, 2);
  assert.deepEqual(list.data.map((r) => r.id).sort(), created.map((r) => r.id).sort());

  const upd = await vf.loyalties.updateEarningRule(p.id, { id: reviewRule.id, loyalty: { type: 'FIXED', points: 45 } });
  assert.equal(upd.id, reviewRule.id);
  assert.equal(upd.loyalty.points, 45);
  const got = await vf.loyalties.getEarningRule(p.id, reviewRule.id);
  assert.equal(got.loyalty.points, 45);

  // The updated rule pays.
  const sid = uid('writer');
  const m = await vf.loyalties.createMember(p.id, { customer: { source_id: sid } });
  await vf.events.create('review.written', { customer: { source_id: sid } });
  assert.equal((await vf.loyalties.getMember(p.id, m.id)).loyalty_card.balance, 45);

  const del = await vf.loyalties.deleteEarningRule(p.id, reviewRule.id);
  assert.ok(!del, `delete answers no body: ${JSON.stringify(del)}`);
  const left = await vf.loyalties.listEarningRules(p.id);
  assert.deepEqual(left.data.map((r) => r.id), [orderRule.id]);
  const gone = await sdkError(vf.loyalties.getEarningRule(p.id, reviewRule.id));
  assert.equal(gone.code, 404);
});

test('tiers: createTiers, listTiers, listMemberLoyaltyTiers', async () => {
  const p = await newProgram();
  const tiers = await vf.loyalties.createTiers(p.id, [
    { name: 'Silver', points: { from: 0, to: 999 } },
    { name: 'Gold', points: { from: 1000 }, metadata: { lounge: true } },
  ]);
  assert.equal(tiers.length, 2);
  for (const tr of tiers) {
    assert.match(tr.id, /^ltr_/);
    assert.equal(tr.object, 'loyalty_tier');
    assert.equal(tr.campaign_id, p.id);
  }
  const gold = tiers.find((x) => x.name === 'Gold');
  assert.equal(gold.points.from, 1000);
  assert.deepEqual(gold.metadata, { lounge: true });

  const list = await vf.loyalties.listTiers(p.id);
  assert.equal(list.object, 'list');
  assert.deepEqual(list.data.map((x) => x.name).sort(), ['Gold', 'Silver']);
  const one = await vf.loyalties.getTier(p.id, gold.id);
  assert.equal(one.id, gold.id);

  const m = await vf.loyalties.createMember(p.id, { customer: { source_id: uid('climber') } });
  await vf.loyalties.addPoints(p.id, m.id, { points: 1200 });
  const mt = await vf.loyalties.listMemberLoyaltyTiers(m.id);
  assert.equal(mt.object, 'list');
  assert.deepEqual(mt.data.map((x) => x.id), [gold.id]);
});

test('rewards, assignments, redeeming a reward, transactions and activities', async () => {
  const p = await newProgram();
  const mug = await vf.rewards.create({
    name: 'Mug', type: 'MATERIAL', parameters: { product: { id: 'prod_mug' } }, stock: 10,
    attributes: { description: 'A mug' }, metadata: { color: 'blue' },
  });
  assert.match(mug.id, /^rew_/);
  assert.equal(mug.object, 'reward');
  assert.equal(mug.type, 'MATERIAL');
  assert.equal(mug.parameters.product.id, 'prod_mug');
  assert.equal(mug.stock, 10);
  const cap = await vf.rewards.create({ name: 'Cap', type: 'MATERIAL', parameters: { product: { id: 'prod_cap' } } });

  const rl = await vf.rewards.list({ limit: 10 });
  assert.equal(rl.object, 'list');
  assert.deepEqual(rl.data.map((r) => r.id).sort(), [cap.id, mug.id].sort());
  assert.equal(rl.total, 2);
  assert.equal((await vf.rewards.get(mug.id)).name, 'Mug');

  // Rewards.createAssignment: the reward's side.
  const a1 = await vf.rewards.createAssignment(mug.id, { campaign: p.id, parameters: { loyalty: { points: 300 } } });
  assert.match(a1.id, /^rewa_/);
  assert.equal(a1.object, 'reward_assignment');
  assert.equal(a1.reward_id, mug.id);
  assert.equal(a1.related_object_id, p.id);
  assert.equal(a1.parameters.loyalty.points, 300);
  const al = await vf.rewards.listAssignments(mug.id);
  assert.deepEqual(al.data.map((a) => a.id), [a1.id]);
  assert.equal(al.total, 1);

  // Loyalties.createRewardAssignments: the program's side, an array as the SDK sends it.
  const created = await vf.loyalties.createRewardAssignments(p.id, [{ reward: cap.id, parameters: { loyalty: { points: 150 } } }]);
  const a2 = Array.isArray(created) ? created[0] : created;
  assert.match(a2.id, /^rewa_/);
  assert.equal(a2.reward_id, cap.id);
  assert.equal(a2.parameters.loyalty.points, 150);
  const pl = await vf.loyalties.listRewardAssignments(p.id);
  assert.deepEqual(pl.data.map((a) => a.id).sort(), [a1.id, a2.id].sort());
  assert.equal((await vf.loyalties.getRewardAssignment(p.id, a1.id)).reward_id, mug.id);
  assert.equal((await vf.loyalties.getRewardDetails(p.id, a1.id)).id, mug.id);

  const sid = uid('collector');
  const m = await vf.loyalties.createMember(p.id, { customer: { source_id: sid } });
  await vf.loyalties.addPoints(p.id, m.id, { points: 500, reason: 'welcome' });
  const red = await vf.loyalties.redeemReward(p.id, m.id, { reward: { id: mug.id }, metadata: { till: 3 } });
  assert.match(red.id, /^r_/);
  assert.equal(red.object, 'redemption');
  assert.equal(red.result, 'SUCCESS');
  assert.equal(red.reward.id, mug.id);
  assert.equal(red.reward.assignment_id, a1.id);
  assert.equal(red.voucher.id, m.id);
  assert.equal(red.voucher.loyalty_card.balance, 200);
  assert.equal(red.customer.source_id, sid);
  assert.equal((await vf.rewards.get(mug.id)).redeemed, 1);
  assert.equal((await vf.loyalties.getMember(null, m.id)).loyalty_card.balance, 200);

  const poor = await sdkError(vf.loyalties.redeemReward(p.id, m.id, { reward: { id: mug.id } }));
  assert.equal(poor.code, 400);
  assert.equal(poor.key, 'insufficient_balance');

  const tx = await vf.loyalties.listCardTransactions(m.id, p.id, { limit: 10 });
  assert.equal(tx.object, 'list');
  assert.equal(tx.data_ref, 'data');
  assert.deepEqual(tx.data.map((x) => x.type), ['POINTS_REDEMPTION', 'POINTS_ADDITION']);
  assert.deepEqual(tx.data.map((x) => x.points), [-300, 500]);
  for (const x of tx.data) {
    assert.match(x.id, /^vtx_/);
    assert.equal(x.voucher_id, m.id);
    assert.equal(x.campaign_id, p.id);
  }
  const txNoCampaign = await vf.loyalties.listCardTransactions(m.code, null);
  assert.deepEqual(txNoCampaign.data.map((x) => x.id), tx.data.map((x) => x.id));

  const acts = await vf.loyalties.listMemberActivity(p.id, m.id, { limit: 10 });
  assert.equal(acts.object, 'list');
  assert.equal(acts.data.length, 2);
  assert.deepEqual(acts.data.map((a) => a.type), ['customer.reward_redemptions.created', 'customer.loyalty.card.points_added']);
  const actsOld = await vf.loyalties.getMemberActivities(null, m.id);
  assert.deepEqual(actsOld.data.map((a) => a.id), acts.data.map((a) => a.id));

  // Rolling the reward redemption back gives the points and the stock back.
  const rb = await vf.redemptions.rollback(red.id, 'wrong colour');
  assert.match(rb.id, /^rr_/);
  assert.equal(rb.redemption, red.id);
  assert.equal(rb.reason, 'wrong colour');
  assert.equal((await vf.loyalties.getMember(p.id, m.id)).loyalty_card.balance, 500);
  assert.equal((await vf.rewards.get(mug.id)).redeemed, 0);
});

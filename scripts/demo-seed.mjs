#!/usr/bin/env node
// scripts/demo-seed.mjs BASE_URL KEYS_JSON_PATH - fills the demo project with a living
// loyalty program through the public API: "Jeweller Club", a jeweller's program (1 point
// per euro, 50 per review, 25 for the newsletter, 100 welcome points), four members with
// paid orders, reviews and a newsletter signup, a reward catalog (one redeemed), a coupon
// campaign and a referral program. `make run` (scripts/run-demo) calls it.
//
// Idempotent: every write carries an Idempotency-Key named after what it is, so a rerun
// after a half-finished seed replays what was done and does the rest, never twice. The
// last write marks the program's metadata as complete; a later run finds the mark, says
// "demo program already there" and only prints the members again.
//
// Writes <keys dir>/demo-cards.json (name, source_id, card code, balance per member) for
// run-demo's curl examples. Any unexpected answer ends the run with exit code 1, printing
// the request and the answer. Node 18+, built-ins only.
import fs from 'node:fs';
import path from 'node:path';

const PROGRAM = 'Jeweller Club';
const P = encodeURIComponent(PROGRAM);
const SEEDED_BY = 'scripts/demo-seed.mjs';

const [baseArg, keysPath] = process.argv.slice(2);
if (!baseArg || !keysPath) {
    console.error('usage: demo-seed.mjs BASE_URL KEYS_JSON_PATH');
    process.exit(2);
}
const BASE = baseArg.replace(/\/+$/, '');
const keys = JSON.parse(fs.readFileSync(keysPath, 'utf8'));
if (!keys.app_id || !keys.app_token) {
    console.error(`demo-seed: ${keysPath} holds no app_id/app_token`);
    process.exit(1);
}

// ---- the demo's data: everything below is fixed, so a rerun sends the same requests ----

const RULES = [
    {event: 'order.paid', metadata: {demo: 'one point per euro'},
     loyalty: {type: 'PROPORTIONAL', calculation_type: 'ORDER_AMOUNT',
               order: {amount: {every: 100, points: 1}}}},
    {event: 'review', metadata: {demo: 'a review, at most 3 a week'},
     loyalty: {type: 'FIXED', points: 50}, limits: {per_member: {count: 3, period: 'WEEK'}}},
    {event: 'newsletter.signup', metadata: {demo: 'newsletter signup'},
     loyalty: {type: 'FIXED', points: 25}},
    {event: 'customer.created', metadata: {demo: 'welcome bonus on joining'},
     loyalty: {type: 'FIXED', points: 100}},
];
const WELCOME = 100, REVIEW = 50, NEWSLETTER = 25;

// Amounts in cents; items carry price x quantity, amount is their sum.
const MEMBERS = [
    {source_id: 'ada', name: 'Ada Lovelace', phone: '+49 30 1234567',
     metadata: {ring_size: 54, favourite_metal: 'gold'},
     orders: [[['ring-gold-solitaire', 'Gold solitaire ring', 1, 189000]],
              [['chain-gold-45', 'Gold chain 45 cm', 1, 34900],
               ['care-cloth', 'Polishing cloth', 2, 450]]],
     reviews: ['ring-gold-solitaire', 'chain-gold-45'], newsletter: true},
    {source_id: 'grace', name: 'Grace Hopper', phone: null,
     metadata: {ring_size: 52, favourite_metal: 'silver'},
     orders: [[['earrings-silver-hoops', 'Silver hoop earrings', 1, 8900]],
              [['bracelet-silver-link', 'Silver link bracelet', 1, 12450]],
              [['watch-steel-auto', 'Automatic steel watch', 1, 64900],
               ['engraving', 'Engraving', 1, 2500]]],
     reviews: ['watch-steel-auto'], newsletter: false},
    {source_id: 'hedy', name: 'Hedy Lamarr', phone: null,
     metadata: {ring_size: 50, favourite_metal: 'platinum'},
     orders: [[['pendant-platinum-pearl', 'Platinum pearl pendant', 1, 74500]],
              [['ring-platinum-band', 'Platinum band', 2, 61000]]],
     reviews: ['pendant-platinum-pearl', 'ring-platinum-band', 'service-resizing'],
     newsletter: true},
    {source_id: 'emmy', name: 'Emmy Noether', phone: null,
     metadata: {ring_size: 56, favourite_metal: 'rose gold'},
     orders: [[['brooch-rosegold-leaf', 'Rose-gold leaf brooch', 1, 27900]],
              [['earrings-rosegold-studs', 'Rose-gold stud earrings', 1, 15950],
               ['gift-box', 'Gift box', 1, 350]]],
     reviews: [], newsletter: false},
];

// ---- HTTP ----

let replayed = 0, writes = 0;

function fail(req, res, text, why) {
    console.error(`demo-seed: ${why}`);
    console.error(`  request: ${req.method} ${req.url}` +
                  (req.key ? `  (Idempotency-Key: ${req.key})` : ''));
    if (req.body !== undefined)
        console.error(`  body:    ${JSON.stringify(req.body)}`);
    if (res)
        console.error(`  answer:  ${res.status} ${res.statusText}\n  ${text}`);
    process.exit(1);
}

// Sends one request; `want` lists the statuses expected. Returns {status, body}.
async function call(method, urlPath, {body, key, want}) {
    const req = {method, url: BASE + urlPath, body, key};
    const headers = {'X-App-Id': keys.app_id, 'X-App-Token': keys.app_token};
    if (body !== undefined)
        headers['Content-Type'] = 'application/json';
    if (key)
        headers['Idempotency-Key'] = key;
    let res, text;
    try {
        res = await fetch(req.url, {method, headers,
                                    body: body === undefined ? undefined : JSON.stringify(body),
                                    signal: AbortSignal.timeout(15000)});
        text = await res.text();
    } catch (e) {
        fail(req, null, '', `no answer: ${e.cause?.message ?? e.message}`);
    }
    if (!want.includes(res.status))
        fail(req, res, text, `expected ${want.join(' or ')}, got ${res.status}`);
    if (method !== 'GET') {
        writes++;
        if (res.headers.get('idempotent-replayed') === 'true')
            replayed++;
    }
    let parsed = null;
    if (text) {
        try {
            parsed = JSON.parse(text);
        } catch {
            fail(req, res, text, 'the answer is not JSON');
        }
    }
    return {status: res.status, body: parsed, req, res, text};
}

function check(answer, ok, why) {
    if (!ok)
        fail(answer.req, answer.res, answer.text, why);
}

// ---- seeding ----

async function seed(existing) {
    if (!existing) {
        const a = await call('POST', '/v1/loyalties', {key: 'demo-program', want: [201], body: {
            name: PROGRAM,
            description: "A jeweller's loyalty program: 1 point per euro spent, 50 for a " +
                         'review, 25 for the newsletter and 100 for joining.',
            timezone: 'Europe/Berlin',
            voucher: {type: 'LOYALTY_CARD',
                      loyalty_card: {expiration_rules: {period_type: 'MONTH', period_value: 12,
                                                        rounding_type: 'END_OF_MONTH'}},
                      code_config: {pattern: 'JC-########'}},
            pending_points: {period_days: 0},
            metadata: {seeded_by: SEEDED_BY},
        }});
        check(a, a.body?.name === PROGRAM && a.body?.campaign_type === 'LOYALTY_PROGRAM',
              'the answer is not the program just created');
    }

    const r = await call('POST', `/v1/loyalties/${P}/earning-rules`,
                         {key: 'demo-earning-rules', body: RULES, want: [201]});
    check(r, Array.isArray(r.body) && r.body.length === RULES.length,
          `expected an array of ${RULES.length} earning rules`);

    // Tiers before anyone earns, so every member lands in the right one. Gold is out of
    // the demo members' reach: its double points never change the balances checked below.
    const tiers = await call('POST', `/v1/loyalties/${P}/tiers`, {key: 'demo-tiers', want: [201],
        body: [{name: 'Silver', points: {from: 1000, to: 4999}},
               {name: 'Gold', points: {from: 5000, to: null}, earning_multiplier: 2}]});
    check(tiers, Array.isArray(tiers.body) && tiers.body.length === 2, 'expected 2 tiers');

    for (const m of MEMBERS) {
        const customer = {source_id: m.source_id, name: m.name,
                          email: `${m.source_id}@example.com`, timezone: 'Europe/Berlin',
                          consents: {email: m.newsletter}, metadata: m.metadata};
        if (m.phone)
            customer.phone = m.phone;
        // 200: a customer with this source_id was there already (say, from the README's
        // curl example) and is updated.
        const c = await call('POST', '/v1/customers',
                             {key: `demo-customer-${m.source_id}`, body: customer,
                              want: [201, 200]});
        check(c, c.body?.source_id === m.source_id, 'the answer is not the customer sent');

        const e = await call('POST', `/v1/loyalties/${P}/members`,
                             {key: `demo-member-${m.source_id}`,
                              body: {customer: m.source_id}, want: [201]});
        check(e, /^JC-[0-9A-Z]{8}$/.test(e.body?.code ?? ''),
              'expected a member with a card code JC-########');
        m.code = e.body.code;
        m.expected = WELCOME;

        for (const [i, lines] of m.orders.entries()) {
            const n = i + 1;
            const items = lines.map(([product_id, name, quantity, price]) =>
                ({product_id, name, quantity, price, amount: quantity * price}));
            const amount = items.reduce((s, it) => s + it.amount, 0);
            const o = await call('POST', '/v1/orders', {
                key: `demo-order-${m.source_id}-${n}`, want: [201],
                body: {source_id: `demo-order-${m.source_id}-${n}`,
                       customer: {source_id: m.source_id}, amount, status: 'PAID', items,
                       metadata: {channel: n % 2 ? 'store' : 'online'}}});
            const pts = Math.floor(amount / 100);
            check(o, o.body?.status === 'PAID' && o.body?.loyalty?.points === pts,
                  `expected the paid order to earn ${pts} points`);
            m.expected += pts;
        }

        for (const [i, product] of m.reviews.entries()) {
            const id = `demo-review-${m.source_id}-${i + 1}`;
            const v = await call('POST', '/v1/events', {
                key: id, want: [201],
                body: {event: 'review', source_id: id, customer: {source_id: m.source_id},
                       metadata: {product_id: product, stars: 5 - (i % 2)}}});
            check(v, v.body?.loyalty?.points === REVIEW,
                  `expected the review to earn ${REVIEW} points`);
            m.expected += REVIEW;
        }

        if (m.newsletter) {
            const id = `demo-newsletter-${m.source_id}`;
            const v = await call('POST', '/v1/events', {
                key: id, want: [201],
                body: {event: 'newsletter.signup', source_id: id,
                       customer: {source_id: m.source_id}, metadata: {list: 'new-collections'}}});
            check(v, v.body?.loyalty?.points === NEWSLETTER,
                  `expected the newsletter signup to earn ${NEWSLETTER} points`);
            m.expected += NEWSLETTER;
        }
    }

    // Each balance is what its answers said was earned.
    for (const m of MEMBERS) {
        const g = await call('GET', `/v1/loyalties/${P}/members/${m.code}`, {want: [200]});
        const lc = g.body?.loyalty_card;
        check(g, lc?.balance === m.expected && lc?.points === m.expected,
              `expected ${m.name}'s card to hold ${m.expected} points, all spendable`);
    }

    await seedOffers();

    const d = await call('PUT', `/v1/loyalties/${P}`, {key: 'demo-seed-complete', want: [200],
                         body: {metadata: {seeded_by: SEEDED_BY, seed_complete: true}}});
    check(d, d.body?.metadata?.seed_complete === true, 'expected the program marked complete');
}

// Rewards to spend points on, a coupon campaign that one of them draws from, and a
// referral program; Ada redeems a polishing cloth and holds a referral code.
async function seedOffers() {
    const coupons = await call('POST', '/v1/campaigns', {key: 'demo-campaign-10eur', want: [201],
        body: {name: 'Jeweller Club 10 EUR', campaign_type: 'DISCOUNT_COUPONS',
               voucher: {type: 'DISCOUNT_VOUCHER', discount: {type: 'AMOUNT', amount_off: 1000},
                         redemption: {quantity: 1}, code_config: {pattern: 'JC10-######'}}}});
    check(coupons, coupons.body?.id?.startsWith('camp_'), 'expected the coupon campaign');
    const rewards = [
        ['cloth', {name: 'Polishing cloth', type: 'MATERIAL', stock: 100,
                   parameters: {product: {id: 'care-cloth', sku: 'care-cloth-1'}}}, 150],
        ['resizing', {name: 'Free ring resizing', type: 'CUSTOM',
                      parameters: {custom: {service: 'resizing'}}}, 300],
        ['coupon', {name: '10 EUR off your next purchase', type: 'CAMPAIGN',
                    parameters: {campaign: {id: coupons.body.id}}}, 500],
        ['coin', {name: 'Pay with points', type: 'COIN',
                  parameters: {coin: {exchange_ratio: 1, points_ratio: 1}}}, undefined],
    ];
    const ids = {};
    for (const [tag, body, points] of rewards) {
        const r = await call('POST', '/v1/rewards', {key: `demo-reward-${tag}`, want: [201], body});
        check(r, r.body?.id?.startsWith('rew_'), 'expected a reward');
        ids[tag] = r.body.id;
        const a = await call('POST', `/v1/loyalties/${P}/rewards`, {
            key: `demo-assign-${tag}`, want: [201],
            body: points === undefined ? {reward: r.body.id}
                                       : {reward: r.body.id, parameters: {loyalty: {points}}}});
        check(a, a.body?.reward_id === r.body.id, 'expected the reward assigned to the program');
    }
    const ada = MEMBERS[0];
    const red = await call('POST', `/v1/loyalties/${P}/members/${ada.code}/redemption`, {
        key: 'demo-redeem-ada-cloth', want: [200], body: {reward: {id: ids.cloth}}});
    check(red, red.body?.result === 'SUCCESS', 'expected Ada to redeem the polishing cloth');

    const ref = await call('POST', '/v1/campaigns', {key: 'demo-campaign-referral', want: [201],
        body: {name: 'Bring a friend', campaign_type: 'REFERRAL_PROGRAM',
               voucher: {type: 'DISCOUNT_VOUCHER', discount: {type: 'PERCENT', percent_off: 10},
                         code_config: {pattern: 'FRIEND-######'}},
               referral_program: {conversion_event_type: 'redemption',
                                  referrer_reward: {type: 'LOYALTY_CARD',
                                                    related_object_parent: {id: PROGRAM},
                                                    amount: 200, trigger: 'FIRST_ORDER'}}}});
    check(ref, ref.body?.id?.startsWith('camp_'), 'expected the referral program');
    const pub = await call('POST', '/v1/publications', {key: 'demo-referral-ada', want: [200],
        body: {customer: {source_id: ada.source_id}, campaign: {name: 'Bring a friend'}}});
    check(pub, pub.body?.voucher?.is_referral_code === true, 'expected Ada\'s referral code');
}

// The program's members, oldest first, with their holders' names.
async function members() {
    const l = await call('GET', `/v1/loyalties/${P}/members?limit=100`, {want: [200]});
    check(l, Array.isArray(l.body?.vouchers), 'expected a list of vouchers');
    const rows = [];
    for (const v of [...l.body.vouchers].reverse()) {
        const c = await call('GET', `/v1/customers/${encodeURIComponent(v.holder_id)}`,
                             {want: [200]});
        rows.push({name: c.body.name ?? '(no name)', source_id: c.body.source_id, code: v.code,
                   balance: v.loyalty_card.balance});
    }
    return rows;
}

function table(rows) {
    const head = ['member', 'card code', 'balance'];
    const cells = rows.map(r => [r.name, r.code, String(r.balance)]);
    const w = head.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)));
    const line = c => '    ' + c[0].padEnd(w[0]) + '  ' + c[1].padEnd(w[1]) + '  ' +
                      c[2].padStart(w[2]);
    return [line(head), ...cells.map(line)].join('\n');
}

const got = await call('GET', `/v1/loyalties/${P}`, {want: [200, 404]});
const done = got.status === 200 && got.body?.metadata?.seed_complete === true;
if (done) {
    console.log('demo-seed: demo program already there');
} else {
    if (got.status === 200 && got.body?.metadata?.seeded_by !== SEEDED_BY)
        fail(got.req, got.res, got.text, `a program named "${PROGRAM}" exists that this ` +
             'script did not create; delete it (DELETE /v1/loyalties/Jeweller%20Club) or use ' +
             'a fresh data directory');
    console.log(got.status === 200
                    ? `demo-seed: finishing the half-done seed of "${PROGRAM}"`
                    : `demo-seed: creating the demo program "${PROGRAM}"`);
    await seed(got.status === 200);
}

const rows = await members();
const cardsPath = path.join(path.dirname(keysPath), 'demo-cards.json');
fs.writeFileSync(cardsPath + '.tmp', JSON.stringify(rows, null, 2) + '\n');
fs.renameSync(cardsPath + '.tmp', cardsPath);

console.log(`
  ${PROGRAM}: 1 point per euro, 50 points per review (at most 3 a week), 25 for the
  newsletter, 100 on joining; points expire 12 months after earning, at the month's end.
  Tiers on the balance: Silver from 1,000 points, Gold from 5,000 (Gold earns double).
  Rewards: a polishing cloth (150), free ring resizing (300), a 10 EUR coupon (500) and
  paying with points (1 point = 1 cent); Ada has redeemed a cloth. "Bring a friend":
  friends get 10 % off with a member's referral code, the member 200 points on their
  first paid order.
${done ? '' : `  (${writes} writes, ${replayed} replayed from an earlier run)\n`}
${table(rows)}`);

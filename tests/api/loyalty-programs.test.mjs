// Loyalty programs: create with defaults, get by id and name, list, partial update,
// duplicate names, delete, validation; tenant isolation. docs/api.md "Loyalty programs".
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, sleep, uid, TS_RE } from './harness.mjs';
import {
  DEFAULT_CHARSET, CAMP_RE, enc, assertError, createProgram, enroll, newMember, createRules, balance,
} from './loyalty-helpers.mjs';

const DOC_EXAMPLE = () => ({
  name: uid('Jeweller Club'),
  timezone: 'Europe/Berlin',
  voucher: {
    type: 'LOYALTY_CARD',
    loyalty_card: { points: 0, expiration_rules: { period_type: 'MONTH', period_value: 12, rounding_type: 'END_OF_MONTH', rounding_value: 0 } },
    code_config: { pattern: 'JC-########', charset: DEFAULT_CHARSET, prefix: null, postfix: null, length: null },
  },
  pending_points: { period_days: 14 },
  allow_negative_balance: false,
});

function assertProgramShape(p) {
  for (const f of ['id', 'name', 'description', 'campaign_type', 'type', 'timezone', 'voucher', 'pending_points',
    'allow_negative_balance', 'start_date', 'expiration_date', 'active', 'metadata', 'created_at', 'updated_at', 'object']) {
    assert.ok(Object.hasOwn(p, f), `program has ${f}: ${JSON.stringify(p)}`);
  }
  assert.match(p.id, CAMP_RE);
  assert.equal(p.campaign_type, 'LOYALTY_PROGRAM');
  assert.equal(p.type, 'AUTO_UPDATE');
  assert.equal(p.object, 'campaign');
  assert.equal(p.voucher.type, 'LOYALTY_CARD');
  assert.equal(p.voucher.loyalty_card.points, 0);
  assert.match(p.created_at, TS_RE);
  assert.match(p.updated_at, TS_RE);
}

describe('loyalty programs', () => {
  let t;
  before(async () => { t = await startTreu(); });
  after(async () => { await t?.stop(); });

  test('create with only a name → 201 with the documented defaults', async () => {
    const name = uid('Minimal');
    const t0 = Date.now();
    const r = await api(t, 'POST', '/v1/loyalties', { body: { name } });
    assert.equal(r.status, 201, r.text);
    const p = r.json;
    assertProgramShape(p);
    assert.equal(p.name, name);
    assert.equal(p.description, null);
    assert.equal(p.timezone, 'UTC');
    assert.equal(p.voucher.loyalty_card.expiration_rules, null, 'no expiration rules = never');
    assert.deepEqual(p.pending_points, { period_days: 0 });
    assert.equal(p.allow_negative_balance, false);
    assert.equal(p.start_date, null);
    assert.equal(p.expiration_date, null);
    assert.equal(p.active, true);
    assert.deepEqual(p.metadata, {});
    assert.equal(p.created_at, p.updated_at);
    assert.ok(Math.abs(Date.parse(p.created_at) - t0) < 5000, `created_at is now: ${p.created_at}`);
    const cc = p.voucher.code_config;
    assert.ok(cc && typeof cc === 'object', `code_config: ${JSON.stringify(p.voucher)}`);
    assert.equal(cc.charset, DEFAULT_CHARSET, 'default charset');
    assert.equal(cc.pattern, null);
    assert.equal(cc.prefix, null);
    assert.equal(cc.postfix, null);
    assert.ok(Number.isInteger(cc.length) && cc.length >= 6, `default length ≥ 6 random characters: ${JSON.stringify(cc)}`);
    // a member's code follows the default config
    const m = (await newMember(t, p.id)).member;
    assert.equal(m.code.length, cc.length);
    for (const ch of m.code) assert.ok(DEFAULT_CHARSET.includes(ch), `code ${m.code} uses the default charset`);
  });

  test('create with every documented field → 201, echoed as sent (the docs example)', async () => {
    const body = { ...DOC_EXAMPLE(), description: 'rings & things', metadata: { tier_count: 3 },
      start_date: '2026-01-01T00:00:00.000Z', expiration_date: '2099-12-31T23:00:00.000Z', active: true };
    const r = await api(t, 'POST', '/v1/loyalties', { body });
    assert.equal(r.status, 201, r.text);
    const p = r.json;
    assertProgramShape(p);
    assert.equal(p.name, body.name);
    assert.equal(p.description, 'rings & things');
    assert.equal(p.timezone, 'Europe/Berlin');
    assert.deepEqual(p.voucher.loyalty_card.expiration_rules, body.voucher.loyalty_card.expiration_rules);
    assert.deepEqual(p.voucher.code_config, body.voucher.code_config, 'code_config as in the docs example');
    assert.deepEqual(p.pending_points, { period_days: 14 });
    assert.equal(p.allow_negative_balance, false);
    assert.equal(p.start_date, '2026-01-01T00:00:00.000Z');
    assert.equal(p.expiration_date, '2099-12-31T23:00:00.000Z');
    assert.deepEqual(p.metadata, { tier_count: 3 });
    const g = await api(t, 'GET', `/v1/loyalties/${p.id}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, p);
  });

  test('expiration_rules edge values 1 and 1200, every rounding type, DAY without rounding', async () => {
    for (const er of [
      { period_type: 'DAY', period_value: 1 },
      { period_type: 'MONTH', period_value: 1200 },
      { period_type: 'MONTH', period_value: 3, rounding_type: 'END_OF_QUARTER' },
      { period_type: 'MONTH', period_value: 6, rounding_type: 'END_OF_HALF_YEAR' },
      { period_type: 'MONTH', period_value: 12, rounding_type: 'END_OF_YEAR' },
    ]) {
      const p = await createProgram(t, { voucher: { loyalty_card: { expiration_rules: er } } });
      const got = p.voucher.loyalty_card.expiration_rules;
      assert.equal(got.period_type, er.period_type);
      assert.equal(got.period_value, er.period_value);
      assert.equal(got.rounding_type ?? null, er.rounding_type ?? null, JSON.stringify(got));
    }
  });

  test('get by id and by name (percent-encoded); unknown → 404', async () => {
    const name = uid('Get Me ü/&?');
    const p = await createProgram(t, { name });
    const byId = await api(t, 'GET', `/v1/loyalties/${p.id}`);
    assert.equal(byId.status, 200, byId.text);
    assert.deepEqual(byId.json, p);
    const byName = await api(t, 'GET', `/v1/loyalties/${enc(name)}`);
    assert.equal(byName.status, 200, byName.text);
    assert.deepEqual(byName.json, p);
    assertError(await api(t, 'GET', '/v1/loyalties/camp_doesnotexist00000000'), 404, 'not_found');
    assertError(await api(t, 'GET', `/v1/loyalties/${enc(uid('no such name'))}`), 404, 'not_found');
  });

  test('list: data_ref campaigns, total, paging', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await createProgram(t, { name: uid(`List ${i}`) }));
    const all = await api(t, 'GET', '/v1/loyalties?limit=100');
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.object, 'list');
    assert.equal(all.json.data_ref, 'campaigns');
    assert.ok(Array.isArray(all.json.campaigns));
    assert.equal(all.json.total, all.json.campaigns.length);
    assert.equal(all.json.has_more, false);
    const byId = new Map(all.json.campaigns.map((c) => [c.id, c]));
    for (const p of mine) assert.deepEqual(byId.get(p.id), p, 'listed as created');
    const one = await api(t, 'GET', '/v1/loyalties?limit=1');
    assert.equal(one.status, 200);
    assert.equal(one.json.campaigns.length, 1);
    assert.equal(one.json.total, all.json.total);
    assert.equal(one.json.has_more, true);
    const p2 = await api(t, 'GET', '/v1/loyalties?limit=1&page=2');
    assert.equal(p2.json.campaigns.length, 1);
    assert.notEqual(p2.json.campaigns[0].id, one.json.campaigns[0].id);
    assertError(await api(t, 'GET', '/v1/loyalties?limit=0'), 400, 'invalid_query', 'limit');
    assertError(await api(t, 'GET', '/v1/loyalties?limit=101'), 400, 'invalid_query', 'limit');
  });

  test('update: partial, fields not sent kept, updated_at advances', async () => {
    const p = await createProgram(t, { ...DOC_EXAMPLE(), description: 'before', metadata: { a: 1 } });
    await sleep(5);
    const r = await api(t, 'PUT', `/v1/loyalties/${p.id}`, { body: { description: 'after' } });
    assert.equal(r.status, 200, r.text);
    const u = r.json;
    assert.equal(u.description, 'after');
    for (const f of ['id', 'name', 'timezone', 'voucher', 'pending_points', 'allow_negative_balance', 'start_date',
      'expiration_date', 'active', 'metadata', 'created_at', 'campaign_type', 'type', 'object']) {
      assert.deepEqual(u[f], p[f], `${f} kept`);
    }
    assert.ok(u.updated_at > p.updated_at, `updated_at advanced: ${p.updated_at} → ${u.updated_at}`);
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json, u);

    // several fields; by name in the path
    const newName = uid('Renamed');
    const r2 = await api(t, 'PUT', `/v1/loyalties/${enc(p.name)}`, {
      body: { name: newName, timezone: 'America/New_York', allow_negative_balance: true, pending_points: { period_days: 0 },
        voucher: { loyalty_card: { expiration_rules: null } } },
    });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.id, p.id);
    assert.equal(r2.json.name, newName);
    assert.equal(r2.json.timezone, 'America/New_York');
    assert.equal(r2.json.allow_negative_balance, true);
    assert.deepEqual(r2.json.pending_points, { period_days: 0 });
    assert.equal(r2.json.voucher.loyalty_card.expiration_rules, null);
    assert.deepEqual(r2.json.voucher.code_config, p.voucher.code_config, 'code_config kept');
    assert.equal(r2.json.description, 'after');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${enc(newName)}`)).json?.id, p.id);
    assertError(await api(t, 'GET', `/v1/loyalties/${enc(p.name)}`), 404, 'not_found');

    assertError(await api(t, 'PUT', '/v1/loyalties/camp_doesnotexist00000000', { body: { description: 'x' } }), 404, 'not_found');
  });

  test('duplicate name → 409 duplicate_found (create and rename), nothing changed', async () => {
    const a = await createProgram(t);
    const b = await createProgram(t);
    const before = (await api(t, 'GET', '/v1/loyalties?limit=100')).json.total;
    assertError(await api(t, 'POST', '/v1/loyalties', { body: { name: a.name, description: 'dup' } }), 409, 'duplicate_found');
    assert.equal((await api(t, 'GET', '/v1/loyalties?limit=100')).json.total, before, 'no program created');
    assertError(await api(t, 'PUT', `/v1/loyalties/${b.id}`, { body: { name: a.name, description: 'changed' } }), 409, 'duplicate_found');
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${b.id}`)).json, b, 'b unchanged');
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${a.id}`)).json, a, 'a unchanged');
    // renaming to its own name is not a conflict
    const same = await api(t, 'PUT', `/v1/loyalties/${a.id}`, { body: { name: a.name } });
    assert.equal(same.status, 200, same.text);
  });

  test('delete: empty → 204 without body, then 404; with members → 409 campaign_has_members', async () => {
    const p = await createProgram(t);
    const d = await api(t, 'DELETE', `/v1/loyalties/${p.id}`);
    assert.equal(d.status, 204, d.text);
    assert.equal(d.text, '');
    assertError(await api(t, 'GET', `/v1/loyalties/${p.id}`), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/loyalties/${p.id}`), 404, 'not_found');
    // the name is free again
    const again = await createProgram(t, { name: p.name });
    assert.notEqual(again.id, p.id);

    const q = await createProgram(t);
    const { member } = await newMember(t, q.id);
    assertError(await api(t, 'DELETE', `/v1/loyalties/${q.id}`), 409, 'campaign_has_members');
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${q.id}`)).json, q, 'program still there');
    const g = await api(t, 'GET', `/v1/loyalties/${q.id}/members/${member.id}`);
    assert.equal(g.status, 200, 'member still there');
    // by name too
    assertError(await api(t, 'DELETE', `/v1/loyalties/${enc(q.name)}`), 409, 'campaign_has_members');
  });

  describe('validation: 400 naming the field, nothing created', () => {
    const exp = (er) => ({ voucher: { loyalty_card: { expiration_rules: er } } });
    const cases = [
      ['missing name', {}, 'missing_param', 'name'],
      ['empty name (present, out of range)', { name: '' }, 'invalid_param', 'name'],
      ['name too long', { name: 'n'.repeat(256) }, 'invalid_param', 'name'],
      ['name not a string', { name: 42 }, 'invalid_param', 'name'],
      ['bad timezone', { name: 'N', timezone: 'Mars/Olympus_Mons' }, 'invalid_param', 'timezone'],
      ['period_type YEAR', { name: 'N', ...exp({ period_type: 'YEAR', period_value: 1 }) }, 'invalid_param', 'period_type'],
      ['period_value 0', { name: 'N', ...exp({ period_type: 'MONTH', period_value: 0 }) }, 'invalid_param', 'period_value'],
      ['period_value 1201', { name: 'N', ...exp({ period_type: 'DAY', period_value: 1201 }) }, 'invalid_param', 'period_value'],
      ['period_value 1.5', { name: 'N', ...exp({ period_type: 'DAY', period_value: 1.5 }) }, 'invalid_param', 'period_value'],
      ['rounding_type END_OF_WEEK', { name: 'N', ...exp({ period_type: 'MONTH', period_value: 1, rounding_type: 'END_OF_WEEK' }) },
        'invalid_param', 'rounding_type'],
      ['expiration_rules unknown field', { name: 'N', ...exp({ period_type: 'MONTH', period_value: 1, bogus: 1 }) }, 'invalid_param', 'bogus'],
      ['code pattern with 5 random characters', { name: 'N', voucher: { code_config: { pattern: 'JC-#####' } } }, 'invalid_param', 'code_config'],
      ['code length 5', { name: 'N', voucher: { code_config: { length: 5 } } }, 'invalid_param', 'code_config'],
      ['code prefix + length 5', { name: 'N', voucher: { code_config: { prefix: 'AB-', length: 5 } } }, 'invalid_param', 'code_config'],
      ['pending_points.period_days -1', { name: 'N', pending_points: { period_days: -1 } }, 'invalid_param', 'period_days'],
      ['allow_negative_balance not a bool', { name: 'N', allow_negative_balance: 'yes' }, 'invalid_param', 'allow_negative_balance'],
      ['unknown field', { name: 'N', bogus_field: 1 }, 'invalid_param', 'bogus_field'],
    ];
    for (const [what, body, key, field] of cases) {
      test(what, async () => {
        const before = (await api(t, 'GET', '/v1/loyalties?limit=1')).json.total;
        const b = typeof body.name === 'string' && body.name === 'N' ? { ...body, name: uid('bad') } : body;
        assertError(await api(t, 'POST', '/v1/loyalties', { body: b }), 400, key, field);
        assert.equal((await api(t, 'GET', '/v1/loyalties?limit=1')).json.total, before, 'nothing created');
      });
    }

    test('a code pattern with exactly 6 random characters is accepted', async () => {
      const p = await createProgram(t, { voucher: { code_config: { pattern: 'X-######' } } });
      const m = (await newMember(t, p.id)).member;
      assert.match(m.code, /^X-[0-9A-Z]{6}$/);
    });

    test('update with bad input → 400, program unchanged', async () => {
      const p = await createProgram(t, DOC_EXAMPLE());
      for (const [body, key, field] of [
        [{ timezone: 'Not/AZone' }, 'invalid_param', 'timezone'],
        [{ voucher: { loyalty_card: { expiration_rules: { period_type: 'MONTH', period_value: 1201 } } } }, 'invalid_param', 'period_value'],
        [{ description: 'x', unknown_thing: true }, 'invalid_param', 'unknown_thing'],
        [{ name: '' }, 'invalid_param', 'name'], // present but empty: out of range, as for customers
      ]) {
        assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}`, { body }), 400, key, field);
      }
      assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json, p);
    });
  });
});

describe('loyalty tenant isolation', () => {
  let t;
  let other;
  before(async () => {
    t = await startTreu();
    other = await createProject(t.dataDir, 'other');
  });
  after(async () => { await t?.stop(); });

  test('another project cannot see or change this project\'s programs, members and rules', async () => {
    const p = await createProgram(t);
    const [rule] = await createRules(t, p.id, [{ event: 'review', loyalty: { type: 'FIXED', points: 5 } }]);
    const { member, sid } = await newMember(t, p.id);
    const add = await balance(t, p.id, member.id, 10);
    assert.equal(add.status, 200, add.text);
    const o = { project: other };

    for (const path of [
      `/v1/loyalties/${p.id}`,
      `/v1/loyalties/${enc(p.name)}`,
      `/v1/loyalties/${p.id}/members`,
      `/v1/loyalties/${p.id}/members/${member.id}`,
      `/v1/loyalties/members/${member.id}`,
      `/v1/loyalties/members/${enc(member.code)}`,
      `/v1/loyalties/members/${member.id}/transactions`,
      `/v1/loyalties/members/${member.id}/points-expiration`,
      `/v1/loyalties/${p.id}/earning-rules`,
      `/v1/loyalties/${p.id}/earning-rules/${rule.id}`,
    ]) {
      assertError(await api(t, 'GET', path, o), 404, 'not_found');
    }
    const l = await api(t, 'GET', '/v1/loyalties?limit=100', o);
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.total, 0);
    assert.deepEqual(l.json.campaigns, []);

    assertError(await api(t, 'PUT', `/v1/loyalties/${p.id}`, { ...o, body: { description: 'hijack' } }), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/loyalties/${p.id}`, o), 404, 'not_found');
    assertError(await balance(t, p.id, member.id, 1000, 'x', o), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/members/${member.id}/balance`, { ...o, body: { points: 1000 } }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/${p.id}/members`, { ...o, body: { customer: { source_id: 'x' } } }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules`, { ...o, body: [{ event: 'x', loyalty: { type: 'FIXED', points: 1 } }] }), 404, 'not_found');
    assertError(await api(t, 'POST', `/v1/loyalties/${p.id}/earning-rules/${rule.id}/disable`, o), 404, 'not_found');
    assertError(await api(t, 'DELETE', `/v1/loyalties/${p.id}/earning-rules/${rule.id}`, o), 404, 'not_found');

    // an event for the same customer source_id in the other project earns nothing here
    const ev = await api(t, 'POST', '/v1/events', { ...o, body: { event: 'review', customer: { source_id: sid } } });
    assert.equal(ev.status, 201, ev.text);
    assert.equal(ev.json.loyalty.points, 0);

    // nothing changed in the first project
    assert.deepEqual((await api(t, 'GET', `/v1/loyalties/${p.id}`)).json.name, p.name);
    const m = await api(t, 'GET', `/v1/loyalties/members/${member.id}`);
    assert.equal(m.json.loyalty_card.balance, 10);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${p.id}/earning-rules/${rule.id}`)).json.active, true);

    // names are unique per project only: the other project may use the same name
    const same = await api(t, 'POST', '/v1/loyalties', { ...o, body: { name: p.name } });
    assert.equal(same.status, 201, same.text);
    assert.notEqual(same.json.id, p.id);
    assert.equal((await api(t, 'GET', `/v1/loyalties/${enc(p.name)}`)).json.id, p.id, 'by name → own project\'s program');
    assert.equal((await api(t, 'GET', `/v1/loyalties/${enc(p.name)}`, o)).json.id, same.json.id);
    // and the other project's program is invisible to the first
    assertError(await api(t, 'GET', `/v1/loyalties/${same.json.id}`), 404, 'not_found');
    // a member of project A cannot be enrolled-by-id into project B
    assertError(await api(t, 'POST', `/v1/loyalties/${same.json.id}/members`, { ...o, body: { customer: member.holder_id } }), 404, 'not_found');
  });
});

// Authentication, key kinds, key management CLI and tenant isolation (docs/api.md
// "Authentication").
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTreu, api, createProject, keysCreate, keysRevoke, keysList, sleep, uid } from './harness.mjs';

function assertErr(r, status, key) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.code, status, r.text);
  assert.equal(r.json?.key, key, r.text);
  assert.equal(r.json?.request_id, r.headers['x-request-id']);
}

describe('auth', () => {
  let t;
  let other; // a second project in the same data dir
  before(async () => {
    t = await startTreu();
    other = await createProject(t.dataDir, 'other');
  });
  after(async () => { await t?.stop(); });

  const count = async (project) => {
    const r = await api(t, 'GET', '/v1/customers?limit=100', project ? { project } : {});
    assert.equal(r.status, 200, r.text);
    return r.json.total;
  };

  test('project create printed two distinct key pairs and two distinct projects', () => {
    assert.notEqual(t.keys.app_id, t.keys.client_app_id);
    assert.notEqual(t.keys.app_token, t.keys.client_token);
    assert.notEqual(t.keys.project_id, other.project_id);
    assert.notEqual(t.keys.app_id, other.app_id);
    assert.equal(other.name, 'other');
    assert.equal(t.keys.name, 'test');
  });

  test('server key works', async () => {
    const r = await api(t, 'GET', '/v1/customers');
    assert.equal(r.status, 200, r.text);
    const c = await api(t, 'POST', '/v1/customers', { body: { name: 'server-made' } });
    assert.equal(c.status, 201, c.text);
  });

  const bad = {
    'no key': {},
    'wrong token': (k) => ({ 'X-App-Id': k.app_id, 'X-App-Token': k.app_token.slice(0, -1) + (k.app_token.endsWith('A') ? 'B' : 'A') }),
    'empty token': (k) => ({ 'X-App-Id': k.app_id, 'X-App-Token': '' }),
    'token of another key': (k) => ({ 'X-App-Id': k.app_id, 'X-App-Token': k.client_token }),
    'unknown app id': (k) => ({ 'X-App-Id': 'app_doesnotexist', 'X-App-Token': k.app_token }),
    'only X-App-Id': (k) => ({ 'X-App-Id': k.app_id }),
    'only X-App-Token': (k) => ({ 'X-App-Token': k.app_token }),
    'only X-Client-Application-Id': (k) => ({ 'X-Client-Application-Id': k.client_app_id }),
    'only X-Client-Token': (k) => ({ 'X-Client-Token': k.client_token }),
    'app id of one pair, token of the other header pair': (k) => ({ 'X-App-Id': k.app_id, 'X-Client-Token': k.app_token }),
    'wrong client token': (k) => ({ 'X-Client-Application-Id': k.client_app_id, 'X-Client-Token': 'x' + k.client_token }),
  };
  for (const [label, h] of Object.entries(bad)) {
    test(`${label} → 401 unauthorized on GET and POST /v1/customers, nothing written`, async () => {
      const headers = typeof h === 'function' ? h(t.keys) : h;
      const before = await count();
      assertErr(await api(t, 'GET', '/v1/customers', { keys: 'none', headers }), 401, 'unauthorized');
      assertErr(await api(t, 'POST', '/v1/customers', { keys: 'none', headers, body: { name: 'nope' } }), 401, 'unauthorized');
      assertErr(await api(t, 'GET', '/v1/customers/cust_x', { keys: 'none', headers }), 401, 'unauthorized');
      assert.equal(await count(), before);
    });
  }

  test('no key on the client route → 401', async () => {
    assertErr(await api(t, 'POST', '/client/v1/customers', { keys: 'none', body: {} }), 401, 'unauthorized');
    assertErr(await api(t, 'POST', '/client/v1/customers', {
      keys: 'none', headers: { 'X-Client-Application-Id': t.keys.client_app_id, 'X-Client-Token': 'wrong' }, body: {},
    }), 401, 'unauthorized');
  });

  test('client key on server routes → 403 forbidden, nothing written', async () => {
    const before = await count();
    assertErr(await api(t, 'GET', '/v1/customers', { keys: 'client' }), 403, 'forbidden');
    assertErr(await api(t, 'POST', '/v1/customers', { keys: 'client', body: { name: 'nope' } }), 403, 'forbidden');
    const c = await api(t, 'POST', '/v1/customers', { body: {} });
    assertErr(await api(t, 'GET', `/v1/customers/${c.json.id}`, { keys: 'client' }), 403, 'forbidden');
    assertErr(await api(t, 'PUT', `/v1/customers/${c.json.id}`, { keys: 'client', body: { name: 'x' } }), 403, 'forbidden');
    assertErr(await api(t, 'DELETE', `/v1/customers/${c.json.id}`, { keys: 'client' }), 403, 'forbidden');
    assert.equal(await count(), before + 1);
    assert.equal((await api(t, 'GET', `/v1/customers/${c.json.id}`)).json.name, null);
  });

  test('client key on POST /client/v1/customers → 201, visible to the server key', async () => {
    const sid = uid('client');
    const r = await api(t, 'POST', '/client/v1/customers', { keys: 'client', body: { source_id: sid, name: 'via client' } });
    assert.equal(r.status, 201, r.text);
    assert.match(r.json.id, /^cust_/);
    assert.equal(r.json.name, 'via client');
    const g = await api(t, 'GET', `/v1/customers/${r.json.id}`);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json, r.json);
    const up = await api(t, 'POST', '/client/v1/customers', { keys: 'client', body: { source_id: sid, name: 'again' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.id, r.json.id);
  });

  test('tenant isolation: another project cannot see or change this project\'s customers', async () => {
    const sid = uid('iso');
    const mine = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'mine', email: 'iso@example.com' } });
    assert.equal(mine.status, 201);
    const o = { project: other };
    assertErr(await api(t, 'GET', `/v1/customers/${mine.json.id}`, o), 404, 'not_found');
    assertErr(await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`, o), 404, 'not_found');
    assertErr(await api(t, 'PUT', `/v1/customers/${mine.json.id}`, { ...o, body: { name: 'stolen' } }), 404, 'not_found');
    assertErr(await api(t, 'DELETE', `/v1/customers/${mine.json.id}`, o), 404, 'not_found');
    const l = await api(t, 'GET', '/v1/customers?limit=100', o);
    assert.equal(l.status, 200);
    assert.ok(!l.json.customers.some((c) => c.id === mine.json.id), 'not in the other project\'s list');
    const le = await api(t, 'GET', '/v1/customers?email=iso%40example.com', o);
    assert.equal(le.json.total, 0);
    // still intact for its owner
    const g = await api(t, 'GET', `/v1/customers/${mine.json.id}`);
    assert.deepEqual(g.json, mine.json);
    // the other project's client key cannot reach it either (and is not a server key)
    assertErr(await api(t, 'GET', `/v1/customers/${mine.json.id}`, { project: other, keys: 'client' }), 403, 'forbidden');
  });

  test('tenant isolation: the same source_id in two projects is two customers', async () => {
    const sid = uid('both');
    const a = await api(t, 'POST', '/v1/customers', { body: { source_id: sid, name: 'in A' } });
    const b = await api(t, 'POST', '/v1/customers', { project: other, body: { source_id: sid, name: 'in B' } });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.notEqual(a.json.id, b.json.id);
    assert.equal((await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`)).json.name, 'in A');
    assert.equal((await api(t, 'GET', `/v1/customers/${encodeURIComponent(sid)}`, { project: other })).json.name, 'in B');
    // B's list holds only B's customers
    const lb = await api(t, 'GET', '/v1/customers?limit=100', { project: other });
    assert.ok(lb.json.customers.every((c) => c.id !== a.json.id));
    assert.ok(lb.json.customers.some((c) => c.id === b.json.id));
    // deleting in B leaves A alone
    assert.equal((await api(t, 'DELETE', `/v1/customers/${b.json.id}`, { project: other })).status, 204);
    assert.equal((await api(t, 'GET', `/v1/customers/${a.json.id}`)).status, 200);
    // client key of B creates in B
    const cb = await api(t, 'POST', '/client/v1/customers', { project: other, keys: 'client', body: { source_id: sid } });
    assert.equal(cb.status, 201, cb.text);
    assertErr(await api(t, 'GET', `/v1/customers/${cb.json.id}`), 404, 'not_found');
  });

  test('keys create (server and client) → new keys work; keys list shows ids but not tokens', async () => {
    const sk = await keysCreate(t.dataDir, t.keys.project_id, 'server');
    assert.equal(sk.kind, 'server');
    assert.equal(sk.project_id, t.keys.project_id);
    assert.equal(typeof sk.app_id, 'string');
    assert.equal(typeof sk.app_token, 'string');
    assert.notEqual(sk.app_id, t.keys.app_id);
    const ck = await keysCreate(t.dataDir, t.keys.project_id, 'client');
    assert.equal(ck.kind, 'client');
    assert.equal(ck.project_id, t.keys.project_id);

    const r = await api(t, 'POST', '/v1/customers', { keys: sk, body: { name: 'by new server key' } });
    assert.equal(r.status, 201, r.text);
    assert.equal((await api(t, 'GET', `/v1/customers/${r.json.id}`)).status, 200, 'same project');
    const rc = await api(t, 'POST', '/client/v1/customers', { keys: ck, body: { name: 'by new client key' } });
    assert.equal(rc.status, 201, rc.text);
    assertErr(await api(t, 'GET', '/v1/customers', { keys: ck }), 403, 'forbidden');
    // a new server key used as a client key is not a client key
    const asClient = await api(t, 'POST', '/client/v1/customers', {
      keys: 'none', headers: { 'X-Client-Application-Id': sk.app_id, 'X-Client-Token': sk.app_token }, body: {},
    });
    assert.ok(asClient.status === 401 || asClient.status === 403, `server key in client headers: ${asClient.status}`);

    const l = await keysList(t.dataDir);
    assert.equal(l.code, 0, l.stderr);
    for (const id of [t.keys.app_id, t.keys.client_app_id, sk.app_id, ck.app_id, other.app_id]) {
      assert.ok(l.stdout.includes(id), `keys list shows ${id}:\n${l.stdout}`);
    }
    for (const tok of [t.keys.app_token, t.keys.client_token, sk.app_token, ck.app_token]) {
      assert.ok(!l.stdout.includes(tok), 'keys list never shows a token');
    }
  });

  test('keys create for an unknown project or kind fails', async () => {
    const { treuCli } = await import('./harness.mjs');
    const a = await treuCli(['keys', 'create', '--project', 'proj_doesnotexist', '--kind', 'server', '--json', '--data', t.dataDir]);
    assert.notEqual(a.code, 0, `unknown project: ${a.stdout}`);
    const b = await treuCli(['keys', 'create', '--project', t.keys.project_id, '--kind', 'admin', '--json', '--data', t.dataDir]);
    assert.notEqual(b.code, 0, `unknown kind: ${b.stdout}`);
  });

  test('revoked key → 401 while the server runs; other keys unaffected', async () => {
    const sk = await keysCreate(t.dataDir, t.keys.project_id, 'server');
    const ck = await keysCreate(t.dataDir, t.keys.project_id, 'client');
    assert.equal((await api(t, 'GET', '/v1/customers', { keys: sk })).status, 200);
    assert.equal((await api(t, 'POST', '/client/v1/customers', { keys: ck, body: {} })).status, 201);

    for (const k of [sk, ck]) {
      const rv = await keysRevoke(t.dataDir, k.app_id);
      assert.equal(rv.code, 0, `keys revoke: ${rv.stdout} ${rv.stderr}`);
    }
    // A revocation must take effect promptly; allow a short grace for any cache.
    const deadline = Date.now() + 2000;
    let rs;
    let rc;
    for (;;) {
      rs = await api(t, 'GET', '/v1/customers', { keys: sk });
      rc = await api(t, 'POST', '/client/v1/customers', { keys: ck, body: { name: 'after revoke' } });
      if ((rs.status === 401 && rc.status === 401) || Date.now() > deadline) break;
      await sleep(100);
    }
    assertErr(rs, 401, 'unauthorized');
    assertErr(rc, 401, 'unauthorized');
    assertErr(await api(t, 'POST', '/v1/customers', { keys: sk, body: { name: 'after revoke' } }), 401, 'unauthorized');
    // still revoked after a restart
    await t.restart();
    assertErr(await api(t, 'GET', '/v1/customers', { keys: sk }), 401, 'unauthorized');
    assertErr(await api(t, 'POST', '/client/v1/customers', { keys: ck, body: {} }), 401, 'unauthorized');
    // the project's original keys still work
    assert.equal((await api(t, 'GET', '/v1/customers')).status, 200);
    assert.equal((await api(t, 'POST', '/client/v1/customers', { keys: 'client', body: {} })).status, 201);
    const l = await api(t, 'GET', '/v1/customers?limit=100');
    assert.ok(!l.json.customers.some((c) => c.name === 'after revoke'), 'no write through a revoked key');
  });

  test('revoking an unknown app id fails', async () => {
    const r = await keysRevoke(t.dataDir, 'app_doesnotexist');
    assert.notEqual(r.code, 0);
  });
});

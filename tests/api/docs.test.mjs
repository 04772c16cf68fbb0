// docs.test.mjs - docs/api.md lists every route: its endpoint index must be exactly what
// scripts/api-index.mjs makes from src/api/routes.c, and every section it points to must
// exist. A route added without its docs fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './harness.mjs';
import { index, docBlock, routes } from '../../scripts/api-index.mjs';

test('the endpoint index in docs/api.md matches the route table', () => {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs/api.md'), 'utf8');
  const block = docBlock(doc);
  assert.ok(block, 'docs/api.md has the api-index markers');
  assert.equal(block, index(), 'run: node scripts/api-index.mjs --write');
  assert.ok(routes().length > 100, `routes found: ${routes().length}`);
  const headings = new Set(doc.split('\n').filter((l) => l.startsWith('#'))
    .map((l) => l.replace(/^#+ /, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const m of block.matchAll(/\]\(#([^)]+)\)/g)) {
    assert.ok(headings.has(m[1]), `the index links to #${m[1]}, which is no heading of docs/api.md`);
  }
});

// Helpers for the voucher tests (docs/api.md "Campaigns and vouchers").
import assert from 'node:assert/strict';
import { api, uid } from './harness.mjs';

/* Creates a DISCOUNT_COUPONS campaign; `voucher` overrides the template. */
export async function campaign(t, { name = uid('camp'), voucher = {}, opts = {}, project } = {}) {
  const body = {
    name,
    campaign_type: 'DISCOUNT_COUPONS',
    voucher: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1000 }, ...voucher },
    ...opts,
  };
  const r = await api(t, 'POST', '/v1/campaigns', { body, project });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/* Creates a standalone voucher with the given code and template. */
export async function voucher(t, code, body = {}, project) {
  const r = await api(t, 'POST', `/v1/vouchers/${encodeURIComponent(code)}`, {
    body: { type: 'DISCOUNT_VOUCHER', discount: { type: 'AMOUNT', amount_off: 1000 }, ...body },
    project,
  });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

export async function getVoucher(t, code, project) {
  const r = await api(t, 'GET', `/v1/vouchers/${encodeURIComponent(code)}`, { project });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

export function redeem(t, code, body = {}, opts = {}) {
  return api(t, 'POST', `/v1/vouchers/${encodeURIComponent(code)}/redemption`, { body, ...opts });
}

export function validate(t, code, body = {}, opts = {}) {
  return api(t, 'POST', `/v1/vouchers/${encodeURIComponent(code)}/validate`, { body, ...opts });
}

export function stack(codes) {
  return codes.map((id) => (typeof id === 'string' ? { object: 'voucher', id } : { object: 'voucher', ...id }));
}

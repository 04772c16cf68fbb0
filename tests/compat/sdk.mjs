// sdk.mjs - starts the real treu binary (tests/api/harness.mjs) and hands the test files
// Voucherify's official SDK, unchanged, pointed at it. Not a test file.
import sdk from '@voucherify/sdk'; // CommonJS (its UMD build): named imports do not resolve

import { startTreu, uid } from '../api/harness.mjs';

const { VoucherifyServerSide, VoucherifyClientSide } = sdk;

export { uid };

/* Starts a server with a fresh project; returns {t, vf, client(trackingId)}. */
export async function startWithSdk() {
  const t = await startTreu();
  const vf = VoucherifyServerSide({
    applicationId: t.keys.app_id,
    secretKey: t.keys.app_token,
    apiUrl: t.url,
  });
  const client = (trackingId) => VoucherifyClientSide({
    clientApplicationId: t.keys.client_app_id,
    clientSecretKey: t.keys.client_token,
    apiUrl: t.url,
    origin: 'https://shop.example',
    trackingId,
  });
  return { t, vf, client };
}

/* Runs `p` and returns the SDK error it rejects with; fails when it resolves. */
export async function sdkError(p) {
  try {
    const r = await p;
    throw new Error(`expected the SDK to reject, it answered ${JSON.stringify(r)}`);
  } catch (e) {
    if (e.message?.startsWith('expected the SDK to reject')) throw e;
    return e;
  }
}

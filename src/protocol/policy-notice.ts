/**
 * A policy notice signed by the vendor's cloud (the license signing key, Ed25519), which an agent
 * verifies before showing it: `{ format, payload, key_id, signature }`, the signature over this
 * prefix followed by the canonical JSON of the payload. The cloud signs (src/cloud/updates), the
 * agent checks (src/agent/update); the format lives here so the two cannot drift apart.
 */
export const POLICY_NOTICE_FORMAT = 'vigil-policy-notice-v1';
export const POLICY_NOTICE_SIGNATURE_PREFIX = `${POLICY_NOTICE_FORMAT}\n`;

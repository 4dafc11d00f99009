/**
 * Who may fetch what from the vendor's update delivery (docs/updates.md, "Who may update"). Every
 * request that performs a gated action is decided, whatever credential it carries or lacks:
 *
 * - An endpoint's activation (`Authorization: Activation <id>.<secret>`) must hold the license
 *   entitlement `updates` (licensing/catalog.ts ENTITLEMENTS) for every metadata file and target,
 *   or it is refused with 403 `not_entitled`; then the policy gate decides `update` on
 *   `timestamp.json` (TUF 5.4: every update starts there) and `download` on targets, by location
 *   and person (the license holder), with a notice signed for that activation.
 * - A request without an activation (a mirror, an auditor, anyone) reads the metadata and the log
 *   ungated: they are the public record that auditors check (docs/audit.md). A target, the database
 *   itself, is the `download` action: it is decided by the caller's address (location only, no
 *   person), and a deny is 403 `policy_denied`. These decisions are recorded once per country and
 *   action within the gate's window (repeat-window.ts), so a flood from many addresses writes a
 *   bounded number of records, never one per request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth/index.js';
import { lookupCountry } from '../geo/index.js';
import { HttpError } from '../http/index.js';
import { POLICY_NOTICE_HEADER } from '../../protocol/index.js';
import { getLicense } from '../licensing/index.js';
import { buildActivationRequest, deniedError, type GateRequest } from '../policy/index.js';
import type { CloudServices } from '../services.js';

/** The gated actions of update delivery. */
export type UpdateAction = 'update' | 'download';

/** The license entitlement that update delivery provides (licensing/catalog.ts). */
export const UPDATES_ENTITLEMENT = 'updates';

/** The message of a refusal, per action ("... is not allowed (since ...): reason"). */
const REFUSED: Record<UpdateAction, string> = { update: 'updating signatures', download: 'downloading signature databases' };

/** What a refusal answers, so that no cache keeps it for anyone else. */
const REFUSAL_HEADERS = { 'cache-control': 'private, no-store', vary: 'Authorization' };

/**
 * 403 `not_entitled` unless the caller's activation includes `updates`; nothing for callers
 * without an activation (they read the public files).
 */
export function checkUpdatesEntitlement(principal: Principal | null): void {
  const activation = principal?.activation;
  if (activation === undefined || activation.entitlements.includes(UPDATES_ENTITLEMENT)) return;
  throw new HttpError(
    403,
    'not_entitled',
    `this license does not include signature updates (entitlement "${UPDATES_ENTITLEMENT}"): this machine keeps scanning with the database it has installed; to receive updates, ask the vendor for a plan that includes them`,
    [],
    REFUSAL_HEADERS,
  );
}

/** The gate request of a caller without an activation: decided by its address, once per country and action in the window. */
async function buildAddressRequest(s: CloudServices, principal: Principal | null, action: UpdateAction, ip: string): Promise<GateRequest> {
  const country = (await lookupCountry(s.store, ip)) ?? 'unknown';
  const actor = principal === null ? 'anonymous' : principal.userId === null ? principal.tokenId : `user:${principal.userId}`;
  return { action, actor, tenantId: principal?.tenantId ?? null, personCountry: null, ip, context: { credential: principal === null ? 'none' : 'token' }, repeatKey: `address\n${country}\n${action}` };
}

/**
 * Decides `action` for the request: the entitlement first, then the policy gate. True when the
 * answer was gated (and is then private to the caller). A deny throws 403 `policy_denied` with the
 * decision (and, for an activation, the signed notice); an activation's notice rides in a header.
 */
export async function gateUpdateRequest(s: CloudServices, principal: Principal | null, action: UpdateAction, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  reply.header('vary', 'Authorization');
  checkUpdatesEntitlement(principal);
  const activation = principal?.activation;
  if (principal === null || activation === undefined) {
    // Only a target is the action itself for a caller without an activation (see the module header).
    if (action !== 'download') return false;
    const { decision } = await s.gate.pass(await buildAddressRequest(s, principal, action, request.ip));
    if (decision.decision === 'deny') throw deniedError(decision, REFUSED[action], { headers: REFUSAL_HEADERS });
    return true;
  }
  const license = await getLicense(s.store, activation.licenseId);
  const who = { activationId: activation.id, tenantId: principal.tenantId, tenantCountry: principal.tenantCountry, product: license?.product };
  const { decision, signedNotice } = await s.gate.pass({ ...buildActivationRequest(who, action, request.ip), noticeTo: activation.id });
  if (decision.decision === 'deny') throw deniedError(decision, REFUSED[action], { headers: REFUSAL_HEADERS, notice: signedNotice });
  if (signedNotice) reply.header(POLICY_NOTICE_HEADER, Buffer.from(JSON.stringify(signedNotice), 'utf8').toString('base64'));
  return true;
}

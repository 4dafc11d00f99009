/**
 * What the agent calls with a license key (no account): activate a machine, check in to refresh its
 * license file, deactivate. The key, or the activation's own secret, is the credential.
 */
import { z } from 'zod';
import { checkLicenseKey, publicKeyId } from '../../protocol/index.js';
import type { Actor } from '../accounts/index.js';
import { getTenant } from '../accounts/index.js';
import { HttpError, notFound } from '../http/index.js';
import { definePublicRoute, type AnyRoute } from '../http/index.js';
import { idString, jurisdictionCode, plainText } from '../http/index.js';
import type { CloudServices } from '../services.js';
import type { Queryable } from '../store/index.js';
import { activateSeat, activationSecretMatches, deactivateSeat, getActivation, issueLicenseFile, recordCheckin, refuseUnusable, type Activation, type ActivationRefusal } from './activations.js';
import { findLicenseByKey, getLicense } from './licenses.js';

const fingerprint = z.string().regex(/^[0-9a-f]{64}$/, 'the machine fingerprint: 64 lowercase hex digits');
const secretBody = z.strictObject({ secret: z.string().min(1).max(200), declared_location: jurisdictionCode.optional() });

function refusalError(r: ActivationRefusal): HttpError {
  if (r.code === 'too_many_activations') return new HttpError(429, 'rate_limited', r.message, [], { 'retry-after': String(r.retryAfterSeconds) });
  if (r.code === 'no_free_seat') return new HttpError(409, 'no_free_seat', r.message);
  return new HttpError(403, 'license_unusable', r.message, [], {}, { reason: r.code });
}

/** The activation named in the path, if the secret matches it; 404 otherwise (no probing). */
async function ownActivation(q: Queryable, id: string, secret: string): Promise<Activation> {
  const found = await getActivation(q, id);
  if (!found || !activationSecretMatches(secret, found.secret_hash)) throw notFound(`activation ${id}`);
  const { secret_hash: _hidden, ...activation } = found;
  return activation;
}

export function activationRoutes(s: CloudServices): AnyRoute[] {
  const licenseActor = (licenseId: string): Actor => ({ name: `license:${licenseId}`, now: s.now() });
  return [
    definePublicRoute({
      method: 'GET',
      url: '/v1/licensing/public-key',
      tag: 'licensing',
      summary: 'The public key that verifies license files',
      roles: 'public',
      handler: async () => ({
        key_id: publicKeyId(s.licenseKey.publicKey),
        algorithm: 'ed25519',
        pem: s.licenseKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      }),
    }),
    definePublicRoute({
      method: 'POST',
      url: '/v1/activations',
      changes: ['activations'],
      tag: 'licensing',
      summary: 'Activate this machine with a license key (gate: license.activate); returns its signed license file',
      roles: 'public',
      status: 201,
      body: z.strictObject({ key: z.string().max(100), fingerprint, machine_name: plainText(100).trim().min(1), declared_location: jurisdictionCode.optional() }),
      handler: async ({ body, request }) => {
        const checked = checkLicenseKey(body.key);
        if (!checked.ok) throw new HttpError(400, 'invalid_request', `license key: ${checked.reason}`, [{ path: 'body.key', message: checked.reason }]);
        const found = await findLicenseByKey(s.store, checked.key);
        if (!found) throw new HttpError(404, 'not_found', 'no license has this key', [{ path: 'body.key', message: 'unknown key' }]);
        const unusable = refuseUnusable(found, s.now());
        if (unusable) throw refusalError(unusable);
        const actor = licenseActor(found.id);
        const result = await s.gate.run(
          'activating this license',
          async (tx) => [{ action: 'license.activate', actor: actor.name, tenantId: found.tenant_id, personCountry: (await getTenant(tx, found.tenant_id))?.country ?? null, ip: request.ip, declaredLocation: body.declared_location, product: found.product, context: { license: found.id } }],
          async (tx) => {
            const license = (await getLicense(tx, found.id, true))!; // locked: seats are counted once at a time
            const outcome = await activateSeat(tx, license, { fingerprint: body.fingerprint, name: body.machine_name }, actor, s.config);
            if ('code' in outcome) return { refused: outcome };
            return {
              activation_id: outcome.activation.id,
              secret: outcome.secret,
              reused_seat: outcome.reused,
              license_file: issueLicenseFile(license, outcome.activation, s.licenseKey, actor.now, s.config),
            };
          },
        );
        // A refusal after the gate keeps the recorded decision (and, for the daily cap, the count) but changes nothing else.
        if ('refused' in result) throw refusalError(result.refused);
        return result;
      },
    }),
    definePublicRoute({
      method: 'POST',
      url: '/v1/activations/:activationId/refresh',
      changes: ['activations'],
      tag: 'licensing',
      summary: 'Check in: a fresh license file for this machine (gate: license.activate)',
      roles: 'public',
      params: z.strictObject({ activationId: idString }),
      body: secretBody,
      handler: async ({ params, body, request }) => {
        const activation = await ownActivation(s.store, params.activationId, body.secret);
        const license = (await getLicense(s.store, activation.license_id))!;
        // The license's own state first: a revoked license ended its activations too, and "revoked" is the news.
        const unusable = refuseUnusable(license, s.now());
        if (unusable && unusable.code !== 'license_suspended') throw refusalError(unusable);
        if (activation.deactivated_at) throw new HttpError(403, 'license_unusable', `this machine's seat was freed on ${activation.deactivated_at} (${activation.ended_by ?? 'deactivated'}); activate it again`, [], {}, { reason: 'deactivated' });
        const actor = licenseActor(license.id);
        return s.gate.run(
          'using this license',
          async (tx) => [{ action: 'license.activate', actor: actor.name, tenantId: license.tenant_id, personCountry: (await getTenant(tx, license.tenant_id))?.country ?? null, ip: request.ip, declaredLocation: body.declared_location, product: license.product, context: { license: license.id, activation: activation.id, check_in: true } }],
          async (tx) => {
            await recordCheckin(tx, activation, actor.now);
            // A suspended license still gets a file, which says so: the agent tells the user.
            return { license_file: issueLicenseFile(license, activation, s.licenseKey, actor.now, s.config) };
          },
        );
      },
    }),
    definePublicRoute({
      method: 'POST',
      url: '/v1/activations/:activationId/deactivate',
      changes: ['activations'],
      tag: 'licensing',
      summary: 'Free this machine’s seat',
      roles: 'public',
      params: z.strictObject({ activationId: idString }),
      body: secretBody,
      handler: async ({ params, body }) => {
        const activation = await ownActivation(s.store, params.activationId, body.secret);
        const license = (await getLicense(s.store, activation.license_id))!;
        const done = await s.store.transaction((tx) => deactivateSeat(tx, activation, license.tenant_id, licenseActor(license.id)));
        return { activation_id: done.id, deactivated_at: done.deactivated_at };
      },
    }),
  ];
}

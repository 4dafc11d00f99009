/**
 * The categories of data an endpoint consents to send to the security network (docs/network.md,
 * `PUT /v1/network/consent`), and which category each event kind needs. The agent keeps the user's
 * choice; the cloud records it and refuses events of a category not consented to.
 */
import type { EventKind } from './network-event.js';

/** Detections, and (separately) executables the engine found nothing in, in this canonical order. */
export const CONSENT_CATEGORIES = ['detections', 'unknown-executables'] as const;
export type ConsentCategory = (typeof CONSENT_CATEGORIES)[number];

/** The consent category an event of `kind` needs. */
export function categoryOfKind(kind: EventKind): ConsentCategory {
  return kind === 'detection' ? 'detections' : 'unknown-executables';
}

/** True when `v` names a consent category. */
export function isConsentCategory(v: unknown): v is ConsentCategory {
  return (CONSENT_CATEGORIES as readonly unknown[]).includes(v);
}

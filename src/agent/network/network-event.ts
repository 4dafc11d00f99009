/**
 * What an endpoint reports to the security network about one file: the wire format is
 * protocol/network-event.ts (one definition, shared with the cloud). checkEvent refuses anything
 * that does not fit it before the event is queued. (The cloud adds the endpoint's pseudonymous id
 * and coarse location on its side.)
 */
import { parseNetworkEvent, type NetworkEvent } from '../../protocol/index.js';
import { NetworkError } from './network-error.js';

export type { EventKind, NetworkEvent } from '../../protocol/index.js';

/** `e` checked against the wire format, with exactly the wire fields (anything else is dropped, never sent). */
export function checkEvent(e: NetworkEvent): NetworkEvent {
  try {
    return parseNetworkEvent(e, { unknownFields: 'drop' });
  } catch (err) {
    throw new NetworkError('INVALID_EVENT', `the event does not fit the wire format: ${(err as Error).message}`, undefined, { cause: err });
  }
}

/**
 * A jurisdiction decision as the agent reads it from the cloud's answers (src/protocol/policy-decision.ts
 * holds the wire type and its one parser): every text cleaned for a terminal (server-text.ts).
 */
import { readPolicyDecision as readWireDecision, readPolicyNotices as readWireNotices, type ReceivedPolicyDecision } from '../protocol/index.js';
import { serverText } from './server-text.js';

export { describeAction } from '../protocol/index.js';

/** What the agent keeps of a decision (the protocol's ReceivedPolicyDecision). */
export type PolicyDecision = ReceivedPolicyDecision;

/** A decision from untrusted JSON; undefined when it is not one. */
export function readPolicyDecision(value: unknown): PolicyDecision | undefined {
  return readWireDecision(value, serverText);
}

/** The notices of an answer (only `notice` decisions; anything else in the list is dropped). */
export function readPolicyNotices(value: unknown): PolicyDecision[] {
  return readWireNotices(value, serverText);
}

/**
 * The actions a jurisdiction rule can gate (DESIGN.md section 6), in canonical listing order, and
 * each in plain words. They are shared vocabulary: the cloud decides them, the agent asks for them
 * and shows the answers.
 */
export const POLICY_ACTIONS = [
  'license.sell',
  'license.renew',
  'license.transfer',
  'license.activate',
  'download',
  'update',
  'telemetry.collect',
  'reputation.lookup',
  'intel.feed',
] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Each action in words, to say what stopped or what a notice is about (a new action must add its words). */
export const POLICY_ACTION_WORDS: Readonly<Record<PolicyAction, string>> = {
  'license.sell': 'selling licenses',
  'license.renew': 'renewing licenses',
  'license.transfer': 'transferring licenses',
  'license.activate': 'activating and refreshing licenses',
  download: 'downloads of the software and its signature databases',
  update: 'signature and program updates',
  'telemetry.collect': 'sending detection reports to the security network',
  'reputation.lookup': 'reputation look-ups in the security network',
  'intel.feed': 'threat-intelligence feeds',
};

export function isPolicyAction(value: unknown): value is PolicyAction {
  return typeof value === 'string' && (POLICY_ACTIONS as readonly string[]).includes(value);
}

/** The words of `action`, or `fallback` when it is absent or not an action this version knows. */
export function describeAction(action: string | undefined, fallback: string): string {
  return isPolicyAction(action) ? POLICY_ACTION_WORDS[action] : fallback;
}

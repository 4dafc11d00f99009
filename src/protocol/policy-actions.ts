/**
 * The actions a jurisdiction rule can gate (DESIGN.md section 6), in canonical listing order. They
 * are shared vocabulary: the cloud decides them, the agent asks for them and shows the answers.
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

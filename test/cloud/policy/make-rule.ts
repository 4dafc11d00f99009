// Builds PolicyRules for tests through the real schema, so that tests see what the store would hold.
import { toPolicyRule, type PolicyRule, type RuleInput } from '../../../src/cloud/policy/index.js';

let counter = 0;

/** A valid US deny rule on `update` from 2024-01-01Z, with `fields` overriding; `id` defaults to a fresh one. */
export function makeRule(fields: Partial<RuleInput> = {}, id?: string, version = 1): PolicyRule {
  counter += 1;
  const input: RuleInput = {
    jurisdiction: 'US',
    applies_to: 'either',
    action: 'update',
    effect: 'deny',
    from: '2024-01-01T00:00:00Z',
    reason: 'Updates are not available here.',
    reference: 'Test reference',
    ...fields,
  };
  return toPolicyRule(id ?? `t${counter}`, version, input);
}

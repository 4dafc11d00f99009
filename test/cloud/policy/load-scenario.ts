// Loads the reference scenario of DESIGN.md section 6 as the cloud would import it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRuleSet, toPolicyRule, type PolicyRule } from '../../../src/cloud/policy/index.js';

export const SCENARIO_FILE = resolve(__dirname, '../../../examples/policy/us-2024.json');

/** The rules of examples/policy/us-2024.json, with ids r1, r2, ... in file order, version 1. */
export function loadScenarioRules(): PolicyRule[] {
  const set = parseRuleSet(JSON.parse(readFileSync(SCENARIO_FILE, 'utf8')));
  return set.rules.map((input, i) => toPolicyRule(`r${i + 1}`, 1, input));
}

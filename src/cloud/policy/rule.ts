/**
 * A jurisdiction rule as the API and import files accept it (snake_case, unknown fields rejected),
 * and as the engine uses it (camelCase, times resolved to UTC instants). DESIGN.md section 6.
 */
import { z } from 'zod';
import { APPLIES_TO, POLICY_ACTIONS, POLICY_EFFECTS, type AppliesTo, type PolicyAction, type PolicyEffect } from './actions.js';
import { PolicyError, errorFromZod } from './errors.js';
import { isValidTimeZone, parseInstant, parseLocalDateTime, resolveTime } from './zoned-time.js';

/** Longest reason shown to users, in characters. */
export const MAX_REASON_CHARS = 2000;
/** Longest legal reference or URL, in characters. */
export const MAX_REFERENCE_CHARS = 1000;
/** Most products one rule may exempt, and the longest product name. */
export const MAX_EXEMPT_PRODUCTS = 100;
export const MAX_PRODUCT_CHARS = 200;
/** Most rules in one import file. */
export const MAX_RULES_PER_SET = 10_000;

/** ISO 3166-1 alpha-2 (`US`) or ISO 3166-2 subdivision (`US-CA`: country, hyphen, 1-3 letters or digits). */
export const JURISDICTION_PATTERN = /^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/;

export function isJurisdictionCode(value: string): boolean {
  return JURISDICTION_PATTERN.test(value);
}

const timeText = z
  .string()
  .refine((s) => parseInstant(s) !== null || parseLocalDateTime(s) !== null, {
    error: 'expected an ISO 8601 instant with Z or ±HH:MM (2024-09-29T04:00:00Z) or a local time YYYY-MM-DDTHH:MM[:SS] with zone',
  });

// Plain words: no control characters except line breaks, and nothing that looks like markup, since
// the text is shown as is in the console, the CLI and on endpoints.
const plainWords = z
  .string()
  .max(MAX_REASON_CHARS)
  .refine((s) => s.trim().length > 0, { error: 'must not be empty' })
  .refine((s) => !/[\u0000-\u0009\u000B-\u001F\u007F]/.test(s), { error: 'must not contain control characters' })
  .refine((s) => !/<\/?[A-Za-z!]/.test(s), { error: 'must be plain words, not markup' });

export const ruleInputSchema = z
  .strictObject({
    jurisdiction: z.string().regex(JURISDICTION_PATTERN, { error: 'expected an uppercase ISO 3166-1 alpha-2 code (US) or ISO 3166-2 code (US-CA)' }),
    applies_to: z.enum(APPLIES_TO),
    action: z.enum(POLICY_ACTIONS),
    effect: z.enum(POLICY_EFFECTS),
    from: timeText,
    until: timeText.optional(),
    zone: z.string().refine(isValidTimeZone, { error: 'expected an IANA time zone name such as America/New_York' }).optional(),
    exempt_products: z.array(z.string().min(1).max(MAX_PRODUCT_CHARS)).max(MAX_EXEMPT_PRODUCTS).optional(),
    reason: plainWords,
    reference: z
      .string()
      .max(MAX_REFERENCE_CHARS)
      .refine((s) => s.trim().length > 0, { error: 'must not be empty' }),
  })
  .superRefine((rule, ctx) => {
    // Field checks have already reported bad texts and zones; this only relates fields, so it skips
    // whatever it cannot read rather than reporting it twice.
    const zoneOk = rule.zone === undefined || isValidTimeZone(rule.zone);
    const instantOf = (field: 'from' | 'until', text: string): number | null => {
      if (parseInstant(text) === null && parseLocalDateTime(text) !== null && rule.zone === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `local time "${text}" needs "zone" (an IANA time zone such as America/New_York)` });
        return null;
      }
      if (!zoneOk) return null;
      try {
        return resolveTime(text, rule.zone).getTime();
      } catch {
        return null;
      }
    };
    const from = instantOf('from', rule.from);
    const until = rule.until === undefined ? null : instantOf('until', rule.until);
    if (from !== null && until !== null && until <= from) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: `"until" (${rule.until!}) must be after "from" (${rule.from})` });
    }
  });

/** A rule as the API and import files accept it. */
export type RuleInput = z.input<typeof ruleInputSchema>;

export const ruleSetSchema = z.strictObject({
  name: z.string().min(1).max(200),
  description: z.string().max(MAX_REASON_CHARS).optional(),
  rules: z.array(ruleInputSchema).max(MAX_RULES_PER_SET),
});

/** An import file: a named set of rules. */
export type RuleSet = z.output<typeof ruleSetSchema>;

/** A stored rule, as `decide` and `timeline` use it. */
export interface PolicyRule {
  id: string;
  version: number;
  jurisdiction: string;
  appliesTo: AppliesTo;
  action: PolicyAction;
  effect: PolicyEffect;
  /** As given in the input (local or instant). */
  from: string;
  until?: string;
  zone?: string;
  /** `from` as a UTC instant, `YYYY-MM-DDTHH:MM:SS.sssZ`: inclusive. */
  fromUtc: string;
  /** `until` as a UTC instant: exclusive. Absent = open-ended. */
  untilUtc?: string;
  exemptProducts: string[];
  reason: string;
  reference: string;
}

/** Validates a rule input; throws PolicyError INVALID_RULE listing every issue with its field path. */
export function parseRuleInput(input: unknown): RuleInput {
  const result = ruleInputSchema.safeParse(input);
  if (!result.success) throw errorFromZod('INVALID_RULE', 'rule', result.error);
  return result.data;
}

/** Validates an import file; issue paths look like `['rules', 2, 'until']`. */
export function parseRuleSet(input: unknown): RuleSet {
  const result = ruleSetSchema.safeParse(input);
  if (!result.success) throw errorFromZod('INVALID_RULE_SET', 'rule set', result.error);
  return result.data;
}

/**
 * Builds the stored form of a rule: validates `input` (it may come straight from JSON) and resolves
 * its times to UTC. `id` and `version` are the store's; together they name what decided, in audits.
 */
export function toPolicyRule(id: string, version: number, input: unknown): PolicyRule {
  if (id.length === 0) throw new PolicyError('INVALID_RULE', 'rule id must not be empty', { path: ['id'] });
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new PolicyError('INVALID_RULE', `rule version must be a positive integer, got ${version}`, { path: ['version'] });
  }
  const rule = parseRuleInput(input);
  const result: PolicyRule = {
    id,
    version,
    jurisdiction: rule.jurisdiction,
    appliesTo: rule.applies_to,
    action: rule.action,
    effect: rule.effect,
    from: rule.from,
    fromUtc: resolveTime(rule.from, rule.zone).toISOString(),
    exemptProducts: [...(rule.exempt_products ?? [])],
    reason: rule.reason,
    reference: rule.reference,
  };
  if (rule.until !== undefined) {
    result.until = rule.until;
    result.untilUtc = resolveTime(rule.until, rule.zone).toISOString();
  }
  if (rule.zone !== undefined) result.zone = rule.zone;
  return result;
}

/**
 * The one error class of the policy area. A decision (even `deny`) is never an error: these are for
 * rules, rule sets, times and subjects that cannot be understood.
 */
import type { z } from 'zod';
import { VigilError, type VigilErrorDetail, type VigilErrorOptions } from '../../protocol/index.js';

export type PolicyErrorCode =
  | 'INVALID_RULE' // a rule fails its schema; `issues` lists every problem with its field path
  | 'INVALID_RULE_SET' // an import file fails its schema; paths start with `rules`, index, field
  | 'INVALID_TIME' // a time text or instant cannot be read or does not exist
  | 'INVALID_ZONE' // not an IANA time zone known to this runtime's Intl
  | 'INVALID_SUBJECT'; // a jurisdiction code that is not ISO 3166-1 alpha-2 or 3166-2 shaped

export type FieldPath = (string | number)[];

export interface PolicyIssue {
  /** Field path from the root of the input, e.g. `['rules', 2, 'until']`; `[]` for the whole input. */
  path: FieldPath;
  message: string;
}

export class PolicyError extends VigilError {
  readonly code: PolicyErrorCode;
  /** Path of the first issue (kept for callers that show one problem). */
  readonly path: FieldPath;
  readonly issues: PolicyIssue[];
  constructor(code: PolicyErrorCode, message: string, options: VigilErrorOptions & { path?: FieldPath; issues?: PolicyIssue[] } = {}) {
    super(message, options);
    this.name = 'PolicyError';
    this.code = code;
    this.issues = options.issues ?? [{ path: options.path ?? [], message }];
    this.path = options.path ?? this.issues[0]?.path ?? [];
  }

  override listDetails(): VigilErrorDetail[] {
    return this.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  }

  /** The message of several issues joins them all on one line; above their list, a heading is enough. */
  override summariseDetails(): string {
    return 'invalid input:';
  }
}

/**
 * Turns zod issues into field-path issues. An unknown field is reported by zod once at the object
 * with a list of keys; it becomes one issue per key so that each points at the offending field.
 */
export function collectIssues(error: z.ZodError): PolicyIssue[] {
  return error.issues.flatMap((issue): PolicyIssue[] => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
    }
    return [{ path, message: issue.message }];
  });
}

/** Builds the error for a failed schema parse; the message lists every issue as `path: message`. */
export function errorFromZod(code: PolicyErrorCode, what: string, error: z.ZodError): PolicyError {
  const issues = collectIssues(error);
  const lines = issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`);
  return new PolicyError(code, `${what} is invalid: ${lines.join('; ')}`, { issues, cause: error });
}

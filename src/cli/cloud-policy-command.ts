/** `vigil cloud policy import|list|explain`: jurisdiction rules, on a data folder or a running server. */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Decision, PolicyAction, PolicySubject, StoredRule } from '../cloud/index.js';
import { POLICY_ACTIONS } from '../protocol/index.js';
import { addTargetOptions, closeTarget, loadCloud, openTarget, type TargetOptions } from './cloud-target.js';
import { reportError, UsageError } from './exit-codes.js';

export function localActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry: keep "unknown"
  }
  return `cli:${name}`;
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
}

async function importRules(file: string, options: TargetOptions & { json?: boolean }): Promise<void> {
  const { createRule, parseRuleSet, toPolicyRule } = await loadCloud();
  const set = parseRuleSet(readJsonFile(file));
  set.rules.forEach((r, i) => toPolicyRule(`rules.${i}`, 1, r)); // every time resolvable before anything is written
  const target = await openTarget(options);
  try {
    let created: StoredRule[];
    if (target.kind === 'api') created = (await target.api.request<{ rules: StoredRule[] }>('POST', '/v1/policy/import', set)).rules;
    else {
      const actor = { name: localActor(), now: new Date() };
      created = await target.store.transaction(async (tx) => {
        const out: StoredRule[] = [];
        for (const rule of set.rules) out.push(await createRule(tx, rule, actor));
        return out;
      });
    }
    if (options.json) process.stdout.write(`${JSON.stringify({ name: set.name, rules: created })}\n`);
    else {
      process.stdout.write(`Imported ${created.length} rule(s) from ${file} (${set.name}):\n`);
      for (const r of created) process.stdout.write(`  ${describeRule(r)}\n`);
    }
  } finally {
    await closeTarget(target);
  }
}

function describeRule(r: StoredRule): string {
  const until = r.rule.until ? ` until ${r.rule.until}` : '';
  const zone = r.rule.zone ? ` (${r.rule.zone})` : '';
  const retired = r.retired_at ? ` [retired ${r.retired_at}]` : '';
  return `${r.id} v${r.current_version}  ${r.rule.effect.padEnd(6)} ${r.rule.action.padEnd(17)} ${r.rule.jurisdiction} by ${r.rule.applies_to}, from ${r.rule.from}${until}${zone}${retired}`;
}

async function fetchRules(options: TargetOptions, all: boolean): Promise<StoredRule[]> {
  const { listRules } = await loadCloud();
  const target = await openTarget(options);
  try {
    if (target.kind === 'api') return (await target.api.request<{ rules: StoredRule[] }>('GET', `/v1/policy/rules${all ? '?include_retired=true' : ''}`)).rules;
    return await listRules(target.store, all);
  } finally {
    await closeTarget(target);
  }
}

interface ExplainOptions extends TargetOptions {
  action: string;
  location?: string;
  person?: string;
  product?: string;
  at?: string;
  zone?: string;
  json?: boolean;
}

async function explain(options: ExplainOptions): Promise<void> {
  if (!(POLICY_ACTIONS as readonly string[]).includes(options.action)) throw new UsageError(`--action: one of ${POLICY_ACTIONS.join(', ')}`);
  for (const [name, value] of [['--location', options.location], ['--person', options.person]] as const) {
    if (value !== undefined && !/^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/.test(value)) throw new UsageError(`${name}: not an ISO 3166 code in capitals: ${value}`);
  }
  const { ActiveRules, decide, explainDecision, resolveTime } = await loadCloud();
  const at = options.at ? resolveTime(options.at, options.zone) : new Date();
  const subject: PolicySubject = {};
  if (options.location) subject.location = options.location;
  if (options.person) subject.person = options.person;
  if (options.product) subject.product = options.product;
  const target = await openTarget(options);
  let decision: Decision;
  try {
    if (target.kind === 'api') decision = await target.api.request<Decision>('POST', '/v1/policy/what-if', { action: options.action, ...subject, at: at.toISOString() });
    else decision = decide(await new ActiveRules().current(target.store), subject, options.action as PolicyAction, at);
  } finally {
    await closeTarget(target);
  }
  process.stdout.write(options.json ? `${JSON.stringify(decision)}\n` : `${explainDecision(decision)}\n`);
}

function guarded<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

export function registerCloudPolicyCommand(cloud: Command): void {
  const policy = cloud.command('policy').description('jurisdiction rules: import, list, explain a decision');
  addTargetOptions(policy.command('import').description('import a rule set file (all rules or none)').argument('<file>', 'rule set JSON, e.g. examples/policy/us-2024.json'))
    .option('--json', 'print the created rules as JSON')
    .action(guarded(importRules));
  addTargetOptions(policy.command('list').description('list the rules in force'))
    .option('--all', 'include retired rules')
    .option('--json', 'print JSON')
    .action(
      guarded(async (options: TargetOptions & { all?: boolean; json?: boolean }) => {
        const rules = await fetchRules(options, options.all ?? false);
        if (options.json) process.stdout.write(`${JSON.stringify({ rules })}\n`);
        else if (rules.length === 0) process.stdout.write('No rules.\n');
        else for (const r of rules) process.stdout.write(`${describeRule(r)}\n`);
      }),
    );
  addTargetOptions(
    policy
      .command('explain')
      .description('what would be decided for a subject, an action and an instant (nothing is recorded)')
      .requiredOption('--action <action>', `one of ${POLICY_ACTIONS.join(', ')}`)
      .option('--location <code>', 'where the request comes from (ISO 3166 code)')
      .option('--person <code>', "the license holder's country (ISO 3166 code)")
      .option('--product <name>', 'the product asked about')
      .option('--at <time>', 'ISO 8601 instant (or local time with --zone); default now')
      .option('--zone <iana>', 'time zone for a local --at, e.g. America/New_York')
      .option('--json', 'print the decision as a JSON object'),
  ).action(guarded(explain));
}

export { guarded };

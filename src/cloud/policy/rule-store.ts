/**
 * Rules in the store. A rule keeps every version it ever had (who changed it, when, and to what);
 * retiring a rule adds a last version rather than deleting anything. Each change bumps one
 * revision counter, which processes compare against to know their cached rule set is stale
 * (several cloud processes may share one PostgreSQL).
 */
import { appendAudit } from '../audit/index.js';
import type { Actor } from '../accounts/index.js';
import { newId } from '../auth/index.js';
import { forUpdate, type Queryable } from '../store/index.js';
import { toPolicyRule, type PolicyRule, type RuleInput } from './rule.js';

export interface RuleVersion {
  version: number;
  change: 'create' | 'update' | 'retire';
  rule: RuleInput;
  changed_by: string | null;
  changed_at: string;
}

export interface StoredRule {
  id: string;
  current_version: number;
  created_at: string;
  retired_at: string | null;
  rule: RuleInput;
}

interface VersionRow {
  rule_id: string;
  version: number;
  change: RuleVersion['change'];
  body: string;
  changed_by: string | null;
  changed_at: string;
}

async function bumpRevision(tx: Queryable): Promise<void> {
  await tx.run('UPDATE policy_state SET revision = revision + 1 WHERE id = 1');
}

async function addVersion(tx: Queryable, id: string, version: number, change: RuleVersion['change'], rule: RuleInput, actor: Actor): Promise<void> {
  await tx.run('INSERT INTO policy_rule_versions (rule_id, version, change, body, changed_by, changed_at) VALUES (?, ?, ?, ?, ?, ?)', [
    id,
    version,
    change,
    JSON.stringify(rule),
    actor.name,
    actor.now.toISOString(),
  ]);
  await bumpRevision(tx);
  await appendAudit(tx, { kind: `rule.${change}`, actor: actor.name, tenant: null, data: { id, version, rule } }, actor.now);
}

export async function createRule(tx: Queryable, rule: RuleInput, actor: Actor): Promise<StoredRule> {
  toPolicyRule('check', 1, rule); // normalises times; throws on a rule that cannot be evaluated
  const id = newId('rul');
  const createdAt = actor.now.toISOString();
  await tx.run('INSERT INTO policy_rules (id, current_version, created_at) VALUES (?, 1, ?)', [id, createdAt]);
  await addVersion(tx, id, 1, 'create', rule, actor);
  return { id, current_version: 1, created_at: createdAt, retired_at: null, rule };
}

export type RuleChangeOutcome = StoredRule | 'not_found' | 'retired';

async function lockRule(tx: Queryable, id: string): Promise<{ id: string; current_version: number; created_at: string; retired_at: string | null } | undefined> {
  return tx.get(`SELECT id, current_version, created_at, retired_at FROM policy_rules WHERE id = ?${forUpdate(tx)}`, [id]);
}

export async function updateRule(tx: Queryable, id: string, rule: RuleInput, actor: Actor): Promise<RuleChangeOutcome> {
  toPolicyRule(id, 1, rule);
  const row = await lockRule(tx, id);
  if (!row) return 'not_found';
  if (row.retired_at) return 'retired';
  const version = row.current_version + 1;
  await tx.run('UPDATE policy_rules SET current_version = ? WHERE id = ?', [version, id]);
  await addVersion(tx, id, version, 'update', rule, actor);
  return { id, current_version: version, created_at: row.created_at, retired_at: null, rule };
}

export async function retireRule(tx: Queryable, id: string, actor: Actor): Promise<RuleChangeOutcome> {
  const row = await lockRule(tx, id);
  if (!row) return 'not_found';
  if (row.retired_at) return 'retired';
  const current = await getRuleVersion(tx, id, row.current_version);
  if (!current) return 'not_found';
  const version = row.current_version + 1;
  const retiredAt = actor.now.toISOString();
  await tx.run('UPDATE policy_rules SET current_version = ?, retired_at = ? WHERE id = ?', [version, retiredAt, id]);
  await addVersion(tx, id, version, 'retire', current.rule, actor);
  return { id, current_version: version, created_at: row.created_at, retired_at: retiredAt, rule: current.rule };
}

function toVersion(row: VersionRow): RuleVersion {
  return { version: row.version, change: row.change, rule: JSON.parse(row.body) as RuleInput, changed_by: row.changed_by, changed_at: row.changed_at };
}

export async function getRuleVersion(q: Queryable, id: string, version: number): Promise<RuleVersion | undefined> {
  const row = await q.get<VersionRow>('SELECT * FROM policy_rule_versions WHERE rule_id = ? AND version = ?', [id, version]);
  return row && toVersion(row);
}

export async function getRuleHistory(q: Queryable, id: string): Promise<RuleVersion[]> {
  return (await q.all<VersionRow>('SELECT * FROM policy_rule_versions WHERE rule_id = ? ORDER BY version', [id])).map(toVersion);
}

export async function listRules(q: Queryable, includeRetired: boolean): Promise<StoredRule[]> {
  const rows = await q.all<VersionRow & { created_at: string; retired_at: string | null; current_version: number }>(
    `SELECT r.id AS rule_id, r.current_version, r.created_at, r.retired_at, v.version, v.change, v.body, v.changed_by, v.changed_at
       FROM policy_rules r JOIN policy_rule_versions v ON v.rule_id = r.id AND v.version = r.current_version
      ${includeRetired ? '' : 'WHERE r.retired_at IS NULL'} ORDER BY r.created_at, r.id`,
  );
  return rows.map((r) => ({ id: r.rule_id, current_version: r.current_version, created_at: r.created_at, retired_at: r.retired_at, rule: JSON.parse(r.body) as RuleInput }));
}

/** The rules in force, as the decision function takes them; re-read only when the revision moved. */
export class ActiveRules {
  private revision = -1;
  private rules: PolicyRule[] = [];

  async current(q: Queryable): Promise<PolicyRule[]> {
    const state = await q.get<{ revision: number }>('SELECT revision FROM policy_state WHERE id = 1');
    const revision = state?.revision ?? 0;
    if (revision !== this.revision) {
      const stored = await listRules(q, false);
      this.rules = stored.map((r) => toPolicyRule(r.id, r.current_version, r.rule));
      this.revision = revision;
    }
    return this.rules;
  }
}

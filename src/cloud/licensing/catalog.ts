/** What the vendor sells: products, and plans of a product (duration, seats, entitlements, grace). */
import type { Actor } from '../accounts/index.js';
import { appendAudit } from '../audit/index.js';
import { newId } from '../auth/index.js';
import type { Queryable } from '../store/index.js';

export const ENTITLEMENTS = ['updates', 'network', 'daemon'] as const;
export type Entitlement = (typeof ENTITLEMENTS)[number];

export interface Product {
  id: string;
  name: string;
  created_at: string;
}

export interface Plan {
  id: string;
  product_id: string;
  product: string;
  name: string;
  duration_days: number;
  seats: number;
  entitlements: Entitlement[];
  grace_days: number;
  created_at: string;
}

interface PlanRow extends Omit<Plan, 'entitlements'> {
  entitlements: string;
}

const toPlan = (row: PlanRow): Plan => ({ ...row, entitlements: JSON.parse(row.entitlements) as Entitlement[] });
const PLAN_SELECT = 'SELECT p.id, p.product_id, r.name AS product, p.name, p.duration_days, p.seats, p.entitlements, p.grace_days, p.created_at FROM plans p JOIN products r ON r.id = p.product_id';

export async function createProduct(tx: Queryable, name: string, actor: Actor): Promise<Product> {
  const product: Product = { id: newId('prd'), name, created_at: actor.now.toISOString() };
  await tx.run('INSERT INTO products (id, name, created_at) VALUES (?, ?, ?)', [product.id, product.name, product.created_at]);
  await appendAudit(tx, { kind: 'product.create', actor: actor.name, tenant: null, data: product }, actor.now);
  return product;
}

export async function listProducts(q: Queryable): Promise<Product[]> {
  return q.all<Product>('SELECT id, name, created_at FROM products ORDER BY name');
}

export async function getProduct(q: Queryable, id: string): Promise<Product | undefined> {
  return q.get<Product>('SELECT id, name, created_at FROM products WHERE id = ?', [id]);
}

export interface NewPlan {
  productId: string;
  name: string;
  durationDays: number;
  seats: number;
  entitlements: Entitlement[];
  graceDays: number;
}

export async function createPlan(tx: Queryable, input: NewPlan, actor: Actor): Promise<Plan> {
  const id = newId('pln');
  const entitlements = [...new Set(input.entitlements)].sort();
  await tx.run('INSERT INTO plans (id, product_id, name, duration_days, seats, entitlements, grace_days, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    id,
    input.productId,
    input.name,
    input.durationDays,
    input.seats,
    JSON.stringify(entitlements),
    input.graceDays,
    actor.now.toISOString(),
  ]);
  const plan = (await getPlan(tx, id))!;
  await appendAudit(tx, { kind: 'plan.create', actor: actor.name, tenant: null, data: plan }, actor.now);
  return plan;
}

export async function getPlan(q: Queryable, id: string): Promise<Plan | undefined> {
  const row = await q.get<PlanRow>(`${PLAN_SELECT} WHERE p.id = ?`, [id]);
  return row && toPlan(row);
}

export async function listPlans(q: Queryable): Promise<Plan[]> {
  return (await q.all<PlanRow>(`${PLAN_SELECT} ORDER BY r.name, p.name`)).map(toPlan);
}

/** Whether a product already has a plan of that name (names are unique within a product). */
export async function hasPlanNamed(q: Queryable, productId: string, name: string): Promise<boolean> {
  return (await q.get<{ id: string }>('SELECT id FROM plans WHERE product_id = ? AND name = ?', [productId, name])) !== undefined;
}

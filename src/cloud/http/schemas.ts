/** Schemas shared by several routes. */
import { z } from 'zod';

/** A country (ISO 3166-1 alpha-2) or subdivision (ISO 3166-2) code in capitals: `US`, `US-CA`. */
export const jurisdictionCode = z.string().regex(/^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$/, 'an ISO 3166-1 alpha-2 or 3166-2 code in capitals, e.g. US or US-CA');
// Control characters (NUL above all, which PostgreSQL text cannot hold) have no place in names.
export const plainText = (max: number) => z.string().max(max).regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
export const displayName = plainText(200).trim().min(1);
/** Identifiers as the service makes them (`ten_...`, `rul_...`): letters, digits, `_` and `-`. */
export const idString = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an identifier such as ten_x1Y2z3');
export const pageQuery = {
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
};

/** Schemas shared by several routes. */
import { z } from 'zod';

export const countryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals, e.g. US');
export const displayName = z.string().trim().min(1).max(200);
export const idParam = (name: string) => z.strictObject({ [name]: z.string().min(1).max(64) });
export const pageQuery = {
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
};

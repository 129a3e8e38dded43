/** A draft as kept in `storage.session` (drafts.ts), and its check when read back: storage is a boundary. */

/** Longest text kept per field: the longest any form accepts (a note's 20,000 characters). */
const MAX_FIELD = 20_000;

export interface Draft {
  fields: Record<string, string>;
  /** Why the last attempt to send it failed, in the rep's words. */
  error: string | null;
}

/** A stored draft, or null when the value is not one (another version's, or damaged). */
export function parseDraft(value: unknown): Draft | null {
  if (typeof value !== 'object' || value === null) return null;
  const { fields, error } = value as Record<string, unknown>;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return null;
  const entries = Object.entries(fields);
  if (entries.length > 20 || !entries.every(([, text]) => typeof text === 'string' && text.length <= MAX_FIELD)) return null;
  if (error !== null && (typeof error !== 'string' || error.length > 2_000)) return null;
  return { fields: Object.fromEntries(entries) as Record<string, string>, error };
}

/** The draft key of the add-contact form for an address. */
export const contactDraftKey = (email: string) => `contact:${email.toLowerCase()}`;

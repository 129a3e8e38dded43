/**
 * Agile CRM's notes, tasks and deals, parsed from its JSON into the typed records of shared/records.ts. Entries
 * that are not records are dropped, not fatal.
 */
import * as v from 'valibot';
import { AgileId } from '../shared/contact';
import type { Deal, Note, Task } from '../shared/records';

const Seconds = v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))]);
const Str = v.nullish(v.string());

const RawNote = v.object({ id: AgileId, created_time: v.optional(v.nullable(Seconds)), subject: Str, description: Str });
const RawTask = v.object({
  id: AgileId,
  subject: Str,
  type: v.optional(v.string(), 'OTHER'),
  priority_type: v.optional(v.string(), 'NORMAL'),
  due: v.optional(v.nullable(Seconds)),
  is_complete: v.optional(v.boolean(), false),
  status: v.optional(v.string(), ''),
});
/**
 * Agile attaches the account's preferences to each deal: `prefs.currency`, documented as `"USD"` (spelt `Prefs` in
 * one of its examples). Only a leading ISO 4217 code is taken, whatever follows it.
 */
const Currency = v.pipe(v.string(), v.regex(/^[A-Z]{3}(?![A-Za-z])/), v.transform((code) => code.slice(0, 3)));
const Prefs = v.optional(v.nullable(v.looseObject({ currency: v.optional(v.nullable(v.fallback(v.nullable(Currency), null))) })));
const RawDeal = v.object({
  id: AgileId,
  name: Str,
  expected_value: v.optional(v.nullable(v.union([v.number(), v.pipe(v.string(), v.transform(Number))]))),
  milestone: Str,
  probability: v.optional(v.nullable(v.number())),
  close_date: v.optional(v.nullable(Seconds)),
  prefs: v.fallback(Prefs, null),
  Prefs: v.fallback(Prefs, null),
});

function parseList<S extends v.GenericSchema, T>(input: unknown, schema: S, map: (raw: v.InferOutput<S>) => T): T[] {
  if (!Array.isArray(input)) return [];
  return input.flatMap((item) => {
    const parsed = v.safeParse(schema, item);
    return parsed.success ? [map(parsed.output)] : [];
  });
}

export const parseNotes = (input: unknown): Note[] =>
  parseList(input, RawNote, (raw) => ({ id: raw.id, createdTime: raw.created_time ?? null, subject: raw.subject ?? '', description: raw.description ?? '' }));

export const parseTasks = (input: unknown): Task[] =>
  parseList(input, RawTask, (raw) => ({
    id: raw.id, subject: raw.subject ?? '', type: raw.type, priority: raw.priority_type, due: raw.due ?? null,
    complete: raw.is_complete || raw.status === 'COMPLETED',
  }));

export const parseDeals = (input: unknown): Deal[] =>
  parseList(input, RawDeal, (raw) => ({
    id: raw.id, name: raw.name ?? '', value: Number.isFinite(raw.expected_value) ? (raw.expected_value ?? null) : null,
    currency: raw.prefs?.currency ?? raw.Prefs?.currency ?? null,
    milestone: raw.milestone ?? '', probability: raw.probability ?? null, closeDate: raw.close_date ?? null,
  }));

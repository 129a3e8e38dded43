/**
 * Agile CRM's notes, tasks and deals, parsed from its JSON into the typed records of shared/records.ts. Entries
 * without an id are dropped, not fatal; a field in an odd shape is left out, never the whole record.
 */
import * as v from 'valibot';
import { AgileId, lenient, Num } from '../shared/contact';
import type { Deal, Note, Task } from '../shared/records';

const Seconds = lenient(v.union([v.number(), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))]));
/** Text, or a number Agile sent where text belongs (a deal named 2024). */
const Str = lenient(v.union([v.string(), v.pipe(v.number(), v.transform(String))]));

const RawNote = v.object({ id: AgileId, created_time: Seconds, subject: Str, description: Str });
const RawTask = v.object({
  id: AgileId,
  subject: Str,
  type: v.fallback(v.optional(v.string(), 'OTHER'), 'OTHER'),
  priority_type: v.fallback(v.optional(v.string(), 'NORMAL'), 'NORMAL'),
  due: Seconds,
  is_complete: v.fallback(v.optional(v.boolean(), false), false),
  status: v.fallback(v.optional(v.string(), ''), ''),
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
  expected_value: lenient(Num),
  milestone: Str,
  probability: lenient(Num),
  close_date: Seconds,
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

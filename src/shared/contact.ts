/**
 * The Agile CRM contact model: Agile's JSON (a `properties` array with optional `type`, string-or-number ids,
 * an address serialised as JSON inside a string) becomes one typed `Contact`, here and nowhere else.
 * The extension, the relay and the sandbox all parse contacts through `parseContact`.
 */
import * as v from 'valibot';
import { emailKey } from './email';
import { readsAsAddress } from './postal';

const Labelled = v.object({
  value: v.string(),
  /** Agile's subtype: work, home, mobile, LINKEDIN… — may be empty. */
  subtype: v.string(),
});
export type Labelled = v.InferOutput<typeof Labelled>;

const AddressSchema = v.object({
  address: v.optional(v.string()),
  city: v.optional(v.string()),
  state: v.optional(v.string()),
  zip: v.optional(v.string()),
  country: v.optional(v.string()),
  /** Free text Agile holds where it should hold JSON, kept when it reads as an address; '' otherwise. */
  text: v.string(),
});
export type Address = v.InferOutput<typeof AddressSchema>;

const OwnerSchema = v.object({ id: v.string(), name: v.string(), email: v.string() });
export type Owner = v.InferOutput<typeof OwnerSchema>;

const CustomFieldSchema = v.object({ name: v.string(), value: v.union([v.string(), v.number()]) });
export type CustomField = v.InferOutput<typeof CustomFieldSchema>;

/**
 * The typed contact every part of the extension uses. Also the schema that checks contacts read back from
 * the cache in `chrome.storage`.
 */
export const ContactSchema = v.object({
  id: v.string(),
  type: v.picklist(['PERSON', 'COMPANY']),
  firstName: v.string(),
  lastName: v.string(),
  /** Display name: "First Last", or the company name, or the first email when Agile has no name. */
  name: v.string(),
  title: v.string(),
  company: v.string(),
  companyId: v.string(),
  image: v.string(),
  emails: v.array(Labelled),
  phones: v.array(Labelled),
  websites: v.array(Labelled),
  address: v.nullable(AddressSchema),
  tags: v.array(v.string()),
  leadScore: v.number(),
  starValue: v.number(),
  owner: v.nullable(OwnerSchema),
  customFields: v.array(CustomFieldSchema),
  createdTime: v.nullable(v.number()),
  updatedTime: v.nullable(v.number()),
});
export type Contact = v.InferOutput<typeof ContactSchema>;

/** Agile sends 16-digit ids as strings in some answers and numbers in others; we keep strings end to end. */
export const AgileId = v.pipe(
  v.union([v.pipe(v.string(), v.regex(/^\d{1,20}$/)), v.pipe(v.number(), v.integer(), v.minValue(0))]),
  v.transform(String),
);

/** A number, or a string of one (Agile sends both). */
export const Num = v.union([
  v.number(),
  v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/), v.transform(Number)),
]);

/**
 * A field read when it has a shape it can be read in, and null when not: a field Agile sends in another shape than
 * usual (`"lead_score": ""`, `"contact_company_id": ""`) is left out, never the whole record.
 */
export const lenient = <S extends v.GenericSchema>(schema: S) => v.fallback(v.nullish(schema), null);

const RawProperty = v.object({
  name: v.string(),
  value: v.optional(v.nullable(v.union([v.string(), v.number(), v.boolean()]))),
  type: v.optional(v.nullable(v.string())),
  subtype: v.optional(v.nullable(v.string())),
});
type RawProperty = v.InferOutput<typeof RawProperty>;

const RawOwner = v.object({ id: AgileId, name: v.nullish(v.string()), email: v.nullish(v.string()) });

/** Only the id must be there: without it there is no contact; any other field may be odd and is then left out. */
const RawContact = v.object({
  id: AgileId,
  type: v.fallback(v.optional(v.picklist(['PERSON', 'COMPANY']), 'PERSON'), 'PERSON'),
  created_time: lenient(Num),
  updated_time: lenient(Num),
  lead_score: lenient(Num),
  star_value: lenient(Num),
  tags: lenient(v.array(v.unknown())),
  properties: lenient(v.array(v.unknown())),
  contact_company_id: lenient(AgileId),
  owner: v.optional(v.nullable(v.unknown())),
});

export class ContactParseError extends Error {
  override name = 'ContactParseError';
}

const ADDRESS_KEYS = ['address', 'city', 'state', 'zip', 'country'] as const;

/**
 * Agile stores an address as a JSON string inside the property value: its parts are kept. A value that is not
 * JSON is kept as text only when it reads as an address (`{not json` does not); with nothing readable, no address.
 */
export function parseAddress(value: string): Address | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return readsAsAddress(value) ? { text: value.trim() } : null;
  }
  if (typeof parsed === 'string') return readsAsAddress(parsed) ? { text: parsed.trim() } : null;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  const address: Address = { text: '' };
  for (const key of ADDRESS_KEYS) {
    const part = (parsed as Record<string, unknown>)[key];
    if (typeof part === 'string' && part.trim()) address[key] = part.trim();
    else if (typeof part === 'number') address[key] = String(part);
  }
  return ADDRESS_KEYS.some((key) => address[key]) ? address : null;
}

const SYSTEM_FIELDS = new Set(['first_name', 'last_name', 'name', 'company', 'title', 'image', 'url']);
const LABELLED = { email: 'emails', phone: 'phones', website: 'websites' } as const;

/**
 * Parses one Agile CRM contact. Throws `ContactParseError` only when there is no usable id; a malformed
 * property is skipped rather than losing the whole contact.
 */
export function parseContact(input: unknown): Contact {
  const raw = v.safeParse(RawContact, input);
  if (!raw.success) {
    throw new ContactParseError(`Not an Agile CRM contact: ${v.summarize(raw.issues)}`);
  }
  const { output } = raw;
  const contact: Contact = {
    id: output.id,
    type: output.type,
    firstName: '',
    lastName: '',
    name: '',
    title: '',
    company: '',
    companyId: output.contact_company_id ?? '',
    image: '',
    emails: [],
    phones: [],
    websites: [],
    address: null,
    tags: (output.tags ?? []).filter((tag): tag is string => typeof tag === 'string' && tag.length > 0),
    leadScore: output.lead_score ?? 0,
    starValue: output.star_value ?? 0,
    owner: parseOwner(output.owner),
    customFields: [],
    createdTime: output.created_time ?? null,
    updatedTime: output.updated_time ?? null,
  };
  let companyName = '';
  for (const item of output.properties ?? []) {
    const parsed = v.safeParse(RawProperty, item);
    if (parsed.success) companyName = applyProperty(contact, parsed.output) || companyName;
  }
  const personName = [contact.firstName, contact.lastName].filter(Boolean).join(' ');
  contact.name = (contact.type === 'COMPANY' ? companyName : personName) || personName || contact.emails[0]?.value || '';
  return contact;
}

/** Writes one property into the contact; returns the company's own name when the property is one. */
function applyProperty(contact: Contact, property: RawProperty): string {
  const { name } = property;
  const value = property.value ?? '';
  if (property.type === 'CUSTOM') {
    if (typeof value !== 'boolean' && value !== '') contact.customFields.push({ name, value });
    return '';
  }
  const text = String(value).trim();
  if (!text) return '';
  const subtype = property.subtype ?? '';
  if (Object.hasOwn(LABELLED, name)) {
    contact[LABELLED[name as keyof typeof LABELLED]].push({ value: text, subtype });
  } else if (name === 'address') {
    contact.address = parseAddress(text);
  } else if (name === 'first_name') {
    contact.firstName = text;
  } else if (name === 'last_name') {
    contact.lastName = text;
  } else if (name === 'title') {
    contact.title = text;
  } else if (name === 'company') {
    contact.company = text;
  } else if (name === 'image') {
    contact.image = text;
  } else if (name === 'name') {
    return text;
  } else if (!SYSTEM_FIELDS.has(name) && property.type !== 'SYSTEM') {
    contact.customFields.push({ name, value: typeof value === 'boolean' ? String(value) : value });
  }
  return '';
}

function parseOwner(input: unknown): Owner | null {
  const owner = v.safeParse(RawOwner, input);
  return owner.success ? { id: owner.output.id, name: owner.output.name ?? '', email: owner.output.email ?? '' } : null;
}

/** Every email of the contact as an `emailKey`, for matching against the emails found on a page. */
export function contactEmails(contact: Contact): string[] {
  return contact.emails.map((email) => emailKey(email.value));
}

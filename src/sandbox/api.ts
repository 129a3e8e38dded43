/**
 * The sandbox's REST API under `/dev/api`, with Agile CRM's paths, shapes and quirks: HTTP Basic (email + API
 * key) or a Bearer token this sandbox issued; XML unless `Accept: application/json`; 204 with an empty body for
 * "not found"; `null` for misses in batch answers; ids as numbers in some answers and strings in others.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { parseContact } from '../shared/contact';
import type { SandboxUser, RawContact, RawProperty } from './seed';
import type { SandboxState } from './state';
import { toXml } from './xml';

type Env = { Variables: { user: SandboxUser } };

const EMAIL = /^[^\s@<>()[\],;:"]+@[^\s@<>()[\],;:"]+\.[^\s@<>()[\],;:"]+$/;

/** Agile's own messages for the documented failures, as its API returns them (plain text). */
export const AGILE_MESSAGES = {
  duplicate: 'Sorry, duplicate contact found with the same email address.',
  limit: 'Contacts limit reached. Please upgrade your plan to add more contacts.',
} as const;

function reply(c: Context, value: unknown, root = 'contacts', item = 'contact') {
  if (c.req.header('accept')?.includes('application/json')) return c.json(value as object);
  return c.body(toXml(root, item, value), 200, { 'Content-Type': 'application/xml' });
}

const notFound = (c: Context) => c.body(null, 204);

/** Single-contact answers carry numeric ids, batch answers string ids: Agile does both. */
const withStringIds = (contact: RawContact) => ({ ...contact, id: String(contact.id) });

function decodeBasic(header: string): [string, string] | null {
  try {
    const decoded = atob(header.slice(6));
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  } catch {
    return null;
  }
}

const NewContact = v.object({
  type: v.optional(v.picklist(['PERSON', 'COMPANY']), 'PERSON'),
  star_value: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(5)), 0),
  lead_score: v.optional(v.pipe(v.number(), v.integer()), 0),
  tags: v.optional(v.array(v.pipe(v.string(), v.maxLength(200))), []),
  properties: v.pipe(v.array(v.object({
    name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
    value: v.union([v.pipe(v.string(), v.maxLength(20_000)), v.number()]),
    type: v.optional(v.picklist(['SYSTEM', 'CUSTOM'])),
    subtype: v.optional(v.string()),
  })), v.maxLength(200)),
});
const TagEdit = v.object({ id: v.union([v.string(), v.number()]), tags: v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(200))) });
const NewNote = v.object({
  subject: v.pipe(v.string(), v.maxLength(500)),
  description: v.optional(v.pipe(v.string(), v.maxLength(20_000)), ''),
  contact_ids: v.pipe(v.array(v.union([v.string(), v.number()])), v.minLength(1)),
});
const NewTask = v.object({
  subject: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  type: v.optional(v.picklist(['CALL', 'EMAIL', 'FOLLOW_UP', 'MEETING', 'MILESTONE', 'SEND', 'TWEET', 'OTHER']), 'OTHER'),
  priority_type: v.optional(v.picklist(['HIGH', 'NORMAL', 'LOW']), 'NORMAL'),
  due: v.pipe(v.number(), v.integer()),
  contacts: v.pipe(v.array(v.union([v.string(), v.number()])), v.minLength(1)),
});

async function jsonBody<T extends v.GenericSchema>(c: Context, schema: T): Promise<v.InferOutput<T> | null> {
  try {
    const parsed = v.safeParse(schema, await c.req.json());
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

/** `/dev/api/contacts/5629…/notes` → `/contacts/:id/notes`, so tests can count requests by route. */
export function routeName(pathname: string): string {
  return pathname.replace(/^\/dev\/api/, '').replace(/\/search\/email\/.+$/, '/search/email/:email').replace(/\/\d+(?=\/|$)/g, '/:id');
}

const KNOWN_PATHS = [/^\/contacts(\/.*)?$/, /^\/notes$/, /^\/tasks$/, /^\/search$/];

export function apiRoutes(state: SandboxState): Hono<Env> {
  const app = new Hono<Env>();

  app.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    let user: SandboxUser | null = null;
    if (header.startsWith('Basic ')) {
      const credentials = decodeBasic(header);
      user = credentials ? state.userByApiKey(...credentials) : null;
    } else if (header.startsWith('Bearer ')) {
      user = state.userForAccessToken(header.slice(7));
    }
    if (!user) {
      state.hit('api.unauthorized');
      return c.text('Unauthorized', 401, { 'WWW-Authenticate': 'Basic realm="agilecrm"' });
    }
    c.set('user', user);
    state.hit(`api.${c.req.method} ${routeName(new URL(c.req.url).pathname)}`);
    await next();
  });

  app.get('/contacts/search/email/*', (c) => {
    // Agile reads `+` in this path as a space: a client must send %2B. Decode as Agile does.
    const raw = new URL(c.req.url).pathname.split('/contacts/search/email/')[1] ?? '';
    let email: string;
    try {
      email = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return c.text('Invalid email', 400);
    }
    const contact = state.contactByEmail(email);
    return contact ? reply(c, contact) : notFound(c);
  });

  app.post('/contacts/search/email', async (c) => {
    let emails: unknown;
    try {
      emails = JSON.parse(new URLSearchParams(await c.req.text()).get('email_ids') ?? '');
    } catch {
      return c.text('email_ids must be a JSON array of email addresses.', 400);
    }
    if (!Array.isArray(emails) || emails.length > 1000) return c.text('email_ids must be a JSON array of email addresses.', 400);
    if (!emails.every((email): email is string => typeof email === 'string' && EMAIL.test(email))) {
      return c.text('Invalid email address in email_ids.', 400);
    }
    return reply(c, emails.map((email) => {
      const contact = state.contactByEmail(email);
      return contact ? withStringIds(contact) : null;
    }));
  });

  app.get('/search', (c) => {
    const { q, page_size: pageSize, type } = c.req.query();
    if (!q || !pageSize || !type) {
      return c.html('<html><body><h1>HTTP Status 500 - Internal Server Error</h1></body></html>', 500);
    }
    const size = Math.min(Math.max(Number.parseInt(pageSize, 10) || 10, 1), 100);
    const needle = q.trim().toLowerCase();
    const hits = state.allContacts().filter((contact) => {
      if (contact.type !== type) return false;
      const parsed = parseContact(contact);
      const haystack = [parsed.name, parsed.company, ...parsed.emails.map((email) => email.value)].join(' ').toLowerCase();
      return needle.split(/\s+/).every((word) => haystack.includes(word));
    });
    return reply(c, hits.slice(0, size));
  });

  app.get('/contacts/:id{[0-9]+}', (c) => {
    const contact = state.contact(c.req.param('id'));
    return contact ? reply(c, contact) : notFound(c);
  });

  app.get('/contacts/:id{[0-9]+}/notes', (c) => reply(c, state.notesOf(c.req.param('id')), 'notes', 'note'));
  app.get('/contacts/:id{[0-9]+}/tasks/sort', (c) => reply(c, state.tasksOf(c.req.param('id')), 'tasks', 'task'));
  app.get('/contacts/:id{[0-9]+}/deals', (c) => reply(c, state.dealsOf(c.req.param('id')), 'deals', 'deal'));

  app.post('/contacts', async (c) => {
    const body = await jsonBody(c, NewContact);
    if (!body) return c.text('Invalid contact: send JSON with a properties array.', 400);
    const properties: RawProperty[] = body.properties.map((property) => ({
      name: property.name, value: property.value,
      ...(property.type ? { type: property.type } : {}), ...(property.subtype !== undefined ? { subtype: property.subtype } : {}),
    }));
    if (body.type === 'PERSON' && !properties.some((p) => p.name === 'first_name' && String(p.value).trim())) {
      return c.text('First name is required.', 400);
    }
    const emails = properties.filter((p) => p.name === 'email').map((p) => String(p.value));
    if (emails.some((email) => !EMAIL.test(email))) return c.text('Invalid email address.', 400);
    if (emails.some((email) => state.contactByEmail(email))) return c.text(AGILE_MESSAGES.duplicate, 400);
    if (state.allContacts().length >= state.contactLimit) return c.text(AGILE_MESSAGES.limit, 406);
    const user = c.get('user');
    const now = Math.floor(Date.now() / 1000);
    const contact = state.addContact({
      type: body.type, created_time: now, updated_time: now, star_value: body.star_value, lead_score: body.lead_score,
      tags: body.tags, tagsWithTime: body.tags.map((tag) => ({ tag, createdTime: now * 1000, availableCount: 0, entity_type: 'tag' })),
      properties, entity_type: 'contact_entity',
      owner: { id: user.id, domain: state.domain, email: user.email, name: user.name, pic: '' },
    });
    return reply(c, contact);
  });

  const editTags = (mode: 'add' | 'delete') => async (c: Context<Env>) => {
    const body = await jsonBody(c, TagEdit);
    if (!body) return c.text('Send JSON {"id": …, "tags": [...]}.', 400);
    const contact = state.contact(String(body.id));
    if (!contact) return notFound(c);
    const tags = new Set(contact.tags);
    for (const tag of body.tags) {
      if (mode === 'add') tags.add(tag.trim());
      else tags.delete(tag.trim());
    }
    contact.tags = [...tags].filter(Boolean);
    contact.updated_time = Math.floor(Date.now() / 1000);
    return reply(c, contact);
  };
  app.put('/contacts/edit/tags', editTags('add'));
  app.put('/contacts/delete/tags', editTags('delete'));

  app.post('/notes', async (c) => {
    const body = await jsonBody(c, NewNote);
    if (!body) return c.text('Send JSON {"subject", "description", "contact_ids"}.', 400);
    const ids = body.contact_ids.map(String);
    if (!ids.every((id) => state.contact(id))) return c.text('Contact not found.', 400);
    const note = state.addNote({ subject: body.subject, description: body.description, contact_ids: ids,
      created_time: Math.floor(Date.now() / 1000), entity_type: 'note' });
    return reply(c, note, 'notes', 'note');
  });

  app.post('/tasks', async (c) => {
    const body = await jsonBody(c, NewTask);
    if (!body) return c.text('Send JSON {"subject", "type", "priority_type", "due", "contacts"}.', 400);
    const ids = body.contacts.map(String);
    if (!ids.every((id) => state.contact(id))) return c.text('Contact not found.', 400);
    const task = state.addTask({ subject: body.subject, type: body.type, priority_type: body.priority_type, due: body.due,
      is_complete: false, status: 'YET_TO_START', contacts: ids, entity_type: 'task' });
    return reply(c, task, 'tasks', 'task');
  });

  app.all('*', (c) => {
    const path = new URL(c.req.url).pathname.replace(/^\/dev\/api/, '');
    return KNOWN_PATHS.some((known) => known.test(path)) ? c.text('Method Not Allowed', 405) : c.text('Not Found', 404);
  });

  return app;
}

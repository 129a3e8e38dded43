/**
 * Deterministic seed data for the Agile CRM sandbox: the same users, contacts, companies, notes, tasks and deals
 * on every run, in Agile's own JSON shapes (with its quirks: missing property types, empty subtypes, an address
 * serialised as a JSON string, CUSTOM dates as epoch seconds, 16-digit ids).
 */

export interface SandboxUser {
  id: number;
  email: string;
  name: string;
  /** The REST API key (Admin Settings → Developers & API). */
  apiKey: string;
  /** Password for the sandbox's own sign-in page. */
  password: string;
}

export interface RawProperty {
  name: string;
  value: string | number;
  type?: 'SYSTEM' | 'CUSTOM';
  subtype?: string;
}

export interface RawContact {
  id: number;
  type: 'PERSON' | 'COMPANY';
  created_time: number;
  updated_time: number;
  star_value: number;
  lead_score: number;
  tags: string[];
  tagsWithTime: { tag: string; createdTime: number; availableCount: number; entity_type: 'tag' }[];
  properties: RawProperty[];
  entity_type: 'contact_entity';
  contact_company_id?: string;
  owner: { id: number; domain: string; email: string; name: string; pic: string };
}

export interface RawNote {
  id: number;
  created_time: number;
  subject: string;
  description: string;
  contact_ids: string[];
  entity_type: 'note';
}

export interface RawTask {
  id: number;
  subject: string;
  type: 'CALL' | 'EMAIL' | 'FOLLOW_UP' | 'MEETING' | 'MILESTONE' | 'SEND' | 'TWEET' | 'OTHER';
  priority_type: 'HIGH' | 'NORMAL' | 'LOW';
  due: number;
  is_complete: boolean;
  status: 'YET_TO_START' | 'IN_PROGRESS' | 'COMPLETED';
  contacts: string[];
  entity_type: 'task';
}

export interface RawDeal {
  id: number;
  name: string;
  expected_value: number;
  milestone: string;
  probability: number;
  close_date: number;
  pipeline_id: number;
  contact_ids: string[];
  entity_type: 'deal';
  /** The account's preferences, which Agile attaches to every deal; `currency` is an ISO 4217 code. */
  prefs: { id: number; currency: string; template: string };
}

export interface SeedData {
  domain: string;
  users: SandboxUser[];
  contacts: RawContact[];
  notes: RawNote[];
  tasks: RawTask[];
  deals: RawDeal[];
  /** Emails on the demo page that have a contact, in page order. */
  demoKnownEmails: string[];
  /** Emails on the demo page that are not in the CRM. */
  demoUnknownEmails: string[];
  /** Contacts whose fields hold markup, script URLs and 10 kB strings (the /demo/hostile page). */
  hostileEmails: string[];
  /** Contacts shaped like real records that trip naive clients (the fixture pages of sandbox/fixtures.ts). */
  quirks: Quirks;
}

export interface Quirks {
  /** `sean.o'connor@…`: an apostrophe in the local part. */
  apostrophe: string;
  /** `connor@…` on the same domain: what a scanner that cuts `sean.o'connor@…` would wrongly find. */
  cutOfApostrophe: string;
  /** A Unicode local part at a Unicode (IDN) domain, stored as written. */
  unicode: string;
  /** Address `{not json`, website `www.example.mx`, a deal of 120000.50 MXN. */
  card: string;
}

/** The sandbox account's subdomain, as in `https://demo.agilecrm.com`. */
export const SANDBOX_DOMAIN = 'demo';

export const SANDBOX_USERS: readonly SandboxUser[] = [
  { id: 6263975862861824, email: 'demo@example.com', name: 'Dana Demo', apiKey: 'sbx-demo-8f3k2m9q7w1z5x4c', password: 'demo' },
  { id: 6263975862861825, email: 'sam.owner@example.com', name: 'Sam Owner', apiKey: 'sbx-sam-2p6r8t0v4y1u3i5o', password: 'sam' },
  { id: 6263975862861826, email: 'lee.manager@example.com', name: 'Lee Manager', apiKey: 'sbx-lee-7h9j1k3l5n7b9v2c', password: 'lee' },
];

/** Mulberry32: a tiny seeded PRNG, so the seed is the same on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Ethan', 'Priya', 'Lucas', 'Chloe', 'Mateo', 'Hana', 'Omar', 'Ines',
  'Jonas', 'Amara', 'Felix', 'Leila', 'Tomás', 'Yuki', 'Grace', 'Ravi', 'Elena', 'Kwame', 'Sofia', 'Diego', 'Nora',
  'Aiden', 'Freya', 'Hugo', 'Zara', 'Brad', 'Marta', 'Oscar', 'Iris', 'Kai', 'Lina'];
const LAST = ['Keywell', 'Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Haddad', 'Novak', 'Ferreira', 'Kowalski', 'Nguyen',
  'Brennan', 'Castillo', 'Fischer', 'Adeyemi', 'Rossi', 'Sato', 'Mehta', 'Larsen', 'Dubois', 'Walsh', 'Ortega',
  'Yilmaz', 'Schmidt', 'Abbott', "O'Neil", 'García', 'Petrov', 'Mensah'];
const COMPANIES = [
  ['Uptake Technologies', 'uptake.example'], ['Brightwave Analytics', 'brightwave.example'],
  ['Northwind Logistics', 'northwind.example'], ['Bluefin Robotics', 'bluefin.example'],
  ['Cedar & Stone Legal', 'cedarstone.example'], ['Helix Biolabs', 'helixbio.example'],
  ['Orbital Freight', 'orbitalfreight.example'], ['Pinecrest Health', 'pinecrest.example'],
  ['Quantum Ledger', 'qledger.example'], ['Redwood Capital', 'redwoodcap.example'],
  ['Solstice Energy', 'solstice.example'], ['Tidal Media Group', 'tidalmedia.example'],
  ['Vantage Retail', 'vantage.example'], ['Willow Education', 'willowedu.example'],
  ['Zenith Aerospace', 'zenithaero.example'], ['Lumen Security', 'lumensec.example'],
] as const;
const TITLES = ['Co-Founder and CEO', 'VP of Sales', 'Head of Procurement', 'Marketing Director', 'CTO',
  'Operations Manager', 'Account Executive', 'Chief Financial Officer', 'Product Manager', 'Office Manager',
  'Director of Partnerships', 'IT Administrator', 'Customer Success Lead', 'General Counsel'];
const TAGS = ['lead', 'customer', 'prospect', 'vip', 'newsletter', 'webinar-2026', 'churn-risk', 'partner',
  'trade-show', 'enterprise', 'smb', 'referral', 'demo-requested'];
const CITIES = [
  ['Detroit', 'Michigan', 'US'], ['Austin', 'Texas', 'US'], ['Toronto', 'Ontario', 'CA'], ['Berlin', 'Berlin', 'DE'],
  ['Lyon', 'Auvergne-Rhône-Alpes', 'FR'], ['Osaka', 'Osaka', 'JP'], ['Lagos', 'Lagos', 'NG'], ['Pune', 'Maharashtra', 'IN'],
  ['Seattle', 'Washington', 'US'], ['Madrid', 'Madrid', 'ES'],
] as const;
const INDUSTRIES = ['Manufacturing', 'Healthcare', 'Logistics', 'Finance', 'Education', 'Energy', 'Retail', 'Media'];
const NOTE_SUBJECTS = ['Intro call', 'Pricing questions', 'Follow-up after demo', 'Contract review', 'Met at trade show',
  'Renewal discussion', 'Support escalation'];
const NOTE_BODIES = ['Interested in the annual plan; wants a quote for 25 seats.',
  'Asked about SSO and data residency. Sent the security whitepaper.',
  'Budget approved for Q1. Decision expected after the board meeting.',
  'Prefers email over calls. Loops in procurement for anything over $10k.',
  'Evaluating two other vendors. Our integrations are the main differentiator.'];
const TASK_SUBJECTS = ['Send proposal', 'Call about renewal', 'Book onboarding session', 'Share case study',
  'Check in after trial', 'Prepare QBR deck'];
const TASK_TYPES = ['CALL', 'EMAIL', 'FOLLOW_UP', 'MEETING', 'MILESTONE', 'SEND', 'OTHER'] as const;
const PRIORITIES = ['HIGH', 'NORMAL', 'LOW'] as const;
const MILESTONES = [['New', 10], ['Prospect', 20], ['Proposal', 50], ['Negotiation', 75], ['Won', 100]] as const;
const DEAL_NAMES = ['Annual licence', 'Pilot', 'Expansion', 'Renewal', 'Professional services'];

const ID_BASE = 5629585249009664;
/** What Agile attaches to each deal as `prefs` (documented: `"currency": "USD"`). */
const DEAL_PREFS = { id: 984, currency: 'USD', template: 'blue' };
/** Seed time: 2026-11-01T00:00:00Z, so relative dates ("overdue") are stable against the sandbox clock. */
export const SEED_EPOCH = 1_793_491_200;

function slug(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/**
 * Builds the seed. `count` people (at least 200 by default) plus one company record per company.
 *
 * @example const seed = createSeed(); seed.contacts.length // 216
 */
export function createSeed(count = 200): SeedData {
  const rand = random(20261129);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
  let nextId = 0;
  const newId = (): number => ID_BASE + ++nextId * 1_000_003;
  const usedEmails = new Set<string>();

  const contacts: RawContact[] = [];
  const notes: RawNote[] = [];
  const tasks: RawTask[] = [];
  const deals: RawDeal[] = [];
  const owners = SANDBOX_USERS.map((user) => ({
    id: user.id, domain: SANDBOX_DOMAIN, email: user.email, name: user.name, pic: '',
  }));

  const companyIds = new Map<string, number>();
  for (const [name, domain] of COMPANIES) {
    const id = newId();
    companyIds.set(name, id);
    contacts.push({
      id, type: 'COMPANY', created_time: SEED_EPOCH - int(86400, 86400 * 700), updated_time: SEED_EPOCH,
      star_value: int(0, 5), lead_score: int(0, 100), tags: ['account'],
      tagsWithTime: [{ tag: 'account', createdTime: SEED_EPOCH * 1000, availableCount: 0, entity_type: 'tag' }],
      properties: [
        { type: 'SYSTEM', name: 'name', value: name },
        { type: 'SYSTEM', name: 'url', value: `https://www.${domain}` },
      ],
      entity_type: 'contact_entity', owner: pick(owners),
    });
  }

  for (let i = 0; i < count; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const [company, companyDomain] = pick(COMPANIES);
    const [city, state, country] = pick(CITIES);
    const id = newId();
    const created = SEED_EPOCH - int(86400, 86400 * 900);
    let work = `${slug(first)}.${slug(last)}@${companyDomain}`;
    for (let n = 2; usedEmails.has(work); n++) work = `${slug(first)}.${slug(last)}${n}@${companyDomain}`;
    usedEmails.add(work);

    const properties: RawProperty[] = [
      { type: 'SYSTEM', name: 'first_name', value: first },
      { type: 'SYSTEM', name: 'last_name', value: last },
      { type: 'SYSTEM', name: 'company', value: company },
      { type: 'SYSTEM', name: 'title', value: pick(TITLES) },
      // Agile leaves `type` off email/phone/website/address properties.
      { name: 'email', value: work, subtype: 'work' },
    ];
    if (rand() < 0.35) {
      let personal = `${slug(first)}${int(1, 99)}@mail.example`;
      while (usedEmails.has(personal)) personal = `${slug(first)}${int(100, 999)}@mail.example`;
      usedEmails.add(personal);
      properties.push({ name: 'email', value: personal, subtype: rand() < 0.5 ? 'personal' : '' });
    }
    properties.push({ name: 'phone', value: `+1 ${int(200, 989)}-555-${String(int(0, 9999)).padStart(4, '0')}`, subtype: 'work' });
    if (rand() < 0.5) properties.push({ name: 'phone', value: `(${int(200, 989)}) 555-${String(int(0, 9999)).padStart(4, '0')}`, subtype: pick(['mobile', 'home', 'main', '']) });
    if (rand() < 0.6) properties.push({ name: 'website', value: `https://www.linkedin.com/in/${slug(first)}-${slug(last)}-${int(10, 99)}`, subtype: 'LINKEDIN' });
    if (rand() < 0.25) properties.push({ name: 'website', value: `https://twitter.com/${slug(first)}${slug(last)}`, subtype: 'TWITTER' });
    properties.push({
      name: 'address',
      // A few records hold free text where Agile expects JSON: clients must tolerate it.
      value: i % 37 === 5 ? `${city}, somewhere near the river` : JSON.stringify({
        address: `${int(1, 999)} ${pick(['Market', 'Lake', 'Oak', 'Harbor', 'Station'])} Street`, city, state,
        zip: String(int(10000, 99999)), country,
      }),
    });
    properties.push({ name: 'Industry', type: 'CUSTOM', value: pick(INDUSTRIES) });
    if (rand() < 0.5) properties.push({ name: 'Date of Joining', type: 'CUSTOM', value: created + int(0, 86400 * 30) });
    const tags = [...new Set(Array.from({ length: int(0, 4) }, () => pick(TAGS)))];
    contacts.push({
      id, type: 'PERSON', created_time: created, updated_time: created + int(0, 86400 * 60),
      star_value: int(0, 5), lead_score: int(0, 100), tags,
      tagsWithTime: tags.map((tag) => ({ tag, createdTime: created * 1000, availableCount: 0, entity_type: 'tag' })),
      properties, entity_type: 'contact_entity', contact_company_id: String(companyIds.get(company)),
      owner: pick(owners),
    });

    for (let n = int(0, 3); n > 0; n--) {
      notes.push({ id: newId(), created_time: SEED_EPOCH - int(3600, 86400 * 90), subject: pick(NOTE_SUBJECTS),
        description: pick(NOTE_BODIES), contact_ids: [String(id)], entity_type: 'note' });
    }
    for (let n = int(0, 3); n > 0; n--) {
      const complete = rand() < 0.25;
      tasks.push({ id: newId(), subject: pick(TASK_SUBJECTS), type: pick(TASK_TYPES), priority_type: pick(PRIORITIES),
        due: SEED_EPOCH + int(-86400 * 20, 86400 * 40), is_complete: complete,
        status: complete ? 'COMPLETED' : pick(['YET_TO_START', 'IN_PROGRESS'] as const), contacts: [String(id)], entity_type: 'task' });
    }
    for (let n = int(0, 2); n > 0; n--) {
      const [milestone, probability] = pick(MILESTONES);
      deals.push({ id: newId(), name: `${company} — ${pick(DEAL_NAMES)}`, expected_value: int(20, 900) * 100, milestone,
        probability, close_date: SEED_EPOCH + int(-86400 * 30, 86400 * 120), pipeline_id: 5700000000000001,
        contact_ids: [String(id)], entity_type: 'deal', prefs: DEAL_PREFS });
    }
  }

  const people = contacts.filter((contact) => contact.type === 'PERSON');
  const emailOf = (contact: RawContact | undefined): string => String(contact?.properties.find((p) => p.name === 'email')?.value);
  // One person reachable only by a `+` address, which Agile needs encoded as %2B in a path.
  const plus = people[7];
  if (plus) {
    const property = plus.properties.find((p) => p.name === 'email');
    if (property) property.value = String(property.value).replace('@', '+crm@');
  }
  const hostileEmails = addHostileContacts(contacts, notes, deals, newId, owners[0]!);
  const quirks = addQuirkyContacts(contacts, deals, newId, owners[1]!);
  return {
    domain: SANDBOX_DOMAIN,
    users: SANDBOX_USERS.map((user) => ({ ...user })),
    contacts,
    notes,
    tasks,
    deals,
    demoKnownEmails: [people[0], people[1], people[2], people[3], people[7]].map(emailOf),
    demoUnknownEmails: ['jordan.rivers@newco.example', 'pat.kim@startup.example'],
    hostileEmails,
    quirks,
  };
}

/**
 * Records an attacker could plant in a CRM (a web form feeding Agile, an imported list): every field a rep sees
 * holds markup, a script URL or 10 kB of text. The popup must show all of it as inert text.
 */
function addHostileContacts(contacts: RawContact[], notes: RawNote[], deals: RawDeal[], newId: () => number, owner: RawContact['owner']): string[] {
  const xss = (n: number) => `<img src=x onerror="window.__xss=${n}"><script>window.__xss=${n}</script>`;
  const long = 'W'.repeat(10_000);
  const emails = ['hostile.markup@evil.example', 'hostile.long@evil.example'];
  const markup: RawContact = {
    id: newId(), type: 'PERSON', created_time: SEED_EPOCH, updated_time: SEED_EPOCH, star_value: 9, lead_score: -5,
    tags: [xss(1), ...Array.from({ length: 40 }, (_, i) => `tag-number-${i}-${'x'.repeat(30)}`)], tagsWithTime: [],
    properties: [
      { type: 'SYSTEM', name: 'first_name', value: xss(2) },
      { type: 'SYSTEM', name: 'last_name', value: '"><svg onload=window.__xss=3>' },
      { type: 'SYSTEM', name: 'company', value: `<a href="javascript:window.__xss=4">Click</a>` },
      { type: 'SYSTEM', name: 'title', value: long },
      { type: 'SYSTEM', name: 'image', value: 'javascript:window.__xss=5' },
      { name: 'email', value: emails[0]!, subtype: xss(6) },
      { name: 'phone', value: 'javascript:window.__xss=7', subtype: 'work' },
      { name: 'website', value: 'javascript:window.__xss=8', subtype: 'URL' },
      { name: 'website', value: 'data:text/html,<script>window.__xss=9</script>', subtype: 'LINKEDIN' },
      { name: 'address', value: JSON.stringify({ address: xss(10), city: long }) },
      { name: `<b onmouseover=window.__xss=11>field</b>`, type: 'CUSTOM', value: xss(12) },
    ],
    entity_type: 'contact_entity', owner: { ...owner, name: xss(13) },
  };
  const longest: RawContact = {
    id: newId(), type: 'PERSON', created_time: SEED_EPOCH, updated_time: SEED_EPOCH, star_value: 1, lead_score: 1,
    tags: [long], tagsWithTime: [],
    properties: [
      { type: 'SYSTEM', name: 'first_name', value: long },
      { type: 'SYSTEM', name: 'last_name', value: long },
      { type: 'SYSTEM', name: 'company', value: long },
      { name: 'email', value: emails[1]!, subtype: 'work' },
      { name: 'phone', value: `+1 ${'5'.repeat(3000)}`, subtype: long },
    ],
    entity_type: 'contact_entity', owner,
  };
  contacts.push(markup, longest);
  notes.push({ id: newId(), created_time: SEED_EPOCH, subject: xss(14), description: `${xss(15)}\n${long}`, contact_ids: [String(markup.id)], entity_type: 'note' });
  deals.push({ id: newId(), name: xss(16), expected_value: 1e12, milestone: xss(17), probability: 50, close_date: SEED_EPOCH,
    pipeline_id: 5700000000000001, contact_ids: [String(markup.id)], entity_type: 'deal', prefs: DEAL_PREFS });
  return emails;
}

/** Real-looking records with the shapes that trip naive clients; see `Quirks`. */
function addQuirkyContacts(contacts: RawContact[], deals: RawDeal[], newId: () => number, owner: RawContact['owner']): Quirks {
  const quirks: Quirks = {
    apostrophe: "sean.o'connor@harbourline.example",
    cutOfApostrophe: 'connor@harbourline.example',
    unicode: 'jürgen.weiß@münchen.example',
    card: 'marisol.vega@vega-logistica.example',
  };
  const person = (first: string, last: string, company: string, extra: RawProperty[]): RawContact => ({
    id: newId(), type: 'PERSON', created_time: SEED_EPOCH - 86400 * 40, updated_time: SEED_EPOCH, star_value: 3, lead_score: 40,
    tags: ['customer'], tagsWithTime: [], entity_type: 'contact_entity', owner,
    properties: [{ type: 'SYSTEM', name: 'first_name', value: first }, { type: 'SYSTEM', name: 'last_name', value: last },
      { type: 'SYSTEM', name: 'company', value: company }, ...extra],
  });
  const card = person('Marisol', 'Vega', 'Vega Logística', [
    { name: 'email', value: quirks.card, subtype: 'work' },
    { name: 'address', value: '{not json' },
    { name: 'website', value: 'www.example.mx', subtype: 'URL' },
  ]);
  contacts.push(
    person('Seán', 'O’Connor', 'Harbourline Freight', [{ name: 'email', value: quirks.apostrophe, subtype: 'work' }]),
    person('Connor', 'Byrne', 'Harbourline Freight', [{ name: 'email', value: quirks.cutOfApostrophe, subtype: 'work' }]),
    person('Jürgen', 'Weiß', 'Weiß Maschinenbau', [{ name: 'email', value: quirks.unicode, subtype: 'work' }]),
    card,
  );
  deals.push({ id: newId(), name: 'Vega Logística — Fleet tracking', expected_value: 120000.5, milestone: 'Proposal', probability: 50,
    close_date: SEED_EPOCH + 86400 * 30, pipeline_id: 5700000000000001, contact_ids: [String(card.id)], entity_type: 'deal',
    prefs: { ...DEAL_PREFS, currency: 'MXN' } });
  return quirks;
}

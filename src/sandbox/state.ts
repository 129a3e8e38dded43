/**
 * The sandbox's in-memory account: seeded records, the users who can sign in, and the OAuth grants it issued.
 * Everything a test may want to inspect (request counters, grants) is reachable from here.
 */
import { contactEmails, parseContact } from '../shared/contact';
import { randomToken } from '../shared/random';
import { createFaults } from './faults';
import { idTokenSigner, type IdTokenAlg, type IdTokenSigner } from './id-token';
import { createSeed, type RawContact, type RawDeal, type RawNote, type RawTask, type SandboxUser, type SeedData } from './seed';

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface SandboxOptions {
  /** Registered OAuth clients (exact redirect URIs). */
  clients?: OAuthClient[];
  /** Access-token lifetime in seconds; tests make it a few seconds to exercise refresh. */
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  /** Name the sandbox as `iss` in authorization responses (RFC 9207), as some OAuth servers do. */
  sendIssuer?: boolean;
  /**
   * Seconds a rotated refresh token may be presented again (a client retrying a lost response). 0, the default, is
   * what strict servers do: a rotated refresh token presented again revokes the whole grant (RFC 9700 §4.14.2).
   */
  refreshReuseGrace?: number;
  /**
   * Scopes every authorization request must carry; a request without one is refused with `access_denied`, as
   * providers configured to issue refresh tokens only for a requested scope do.
   */
  requiredScopes?: string[];
  /**
   * When refresh tokens are issued: `always`; `offline_access` — only when that scope was requested with
   * `prompt=consent` (OpenID Connect Core §11, as strict OpenID providers do); `never`.
   */
  refreshTokens?: 'always' | 'offline_access' | 'never';
  /**
   * Whether a refresh rotates the refresh token (the default, RFC 9700 §4.14.2). Off, as many providers run: a
   * refresh answers without a new refresh token, and the same one works again and again.
   */
  rotateRefreshTokens?: boolean;
  /**
   * What the server publishes about itself: nothing (Agile-style: endpoints are configured by hand), RFC 8414
   * metadata at `/.well-known/oauth-authorization-server`, or OpenID Connect Discovery at
   * `/.well-known/openid-configuration`.
   */
  discovery?: 'none' | 'oauth' | 'openid';
  /** How ID tokens (issued for the `openid` scope) are signed: by the sandbox's key, or a MAC with the client's secret. */
  idTokenAlg?: IdTokenAlg;
  /** Contacts the account may hold before creating one answers 406. */
  contactLimit?: number;
  seed?: SeedData;
}

interface PendingAuthorization {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  scope: string;
  /** The request's `prompt` values (OpenID Connect Core §3.1.2.1). */
  prompt: string[];
  nonce: string | undefined;
  expiresAt: number;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  userEmail: string;
  scope: string;
  prompt: string[];
  nonce: string | undefined;
  expiresAt: number;
  /** Set at the first redemption, before anything is checked, so parallel redemptions cannot both pass. */
  redeemed: boolean;
  /** The grant the first redemption created: a replay revokes it (RFC 6749 §4.1.2). */
  grantId: string | null;
}

interface Grant {
  id: string;
  clientId: string;
  userEmail: string;
  /** The scope granted: the one requested, less `offline_access` where the policy does not allow it. */
  scope: string;
  /** Whether this grant gets refresh tokens. */
  offline: boolean;
  nonce: string | undefined;
  revoked: boolean;
}

interface IssuedToken {
  grantId: string;
  expiresAt: number;
  /** Refresh tokens only: when it was used (epoch ms); rotated tokens stay known so reuse can be detected. */
  usedAt?: number;
}

export type SandboxState = ReturnType<typeof createState>;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function createState(options: SandboxOptions = {}) {
  const seed = options.seed ?? createSeed();
  const contacts = new Map<string, RawContact>(seed.contacts.map((contact) => [String(contact.id), contact]));
  const notes: RawNote[] = [...seed.notes];
  const tasks: RawTask[] = [...seed.tasks];
  const deals: RawDeal[] = [...seed.deals];
  const byEmail = new Map<string, RawContact>();
  const index = (contact: RawContact): void => {
    for (const email of contactEmails(parseContact(contact))) byEmail.set(email, contact);
  };
  contacts.forEach(index);

  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, AuthorizationCode>();
  const grants = new Map<string, Grant>();
  const accessTokens = new Map<string, IssuedToken>();
  const refreshTokens = new Map<string, IssuedToken>();
  const counters = new Map<string, number>();
  /** Sign-in sessions (the `sandbox_session` cookie) → the user's email, for `prompt=none`. */
  const sessions = new Map<string, string>();
  /** `<email> <client id>` → the scopes that user consented to for that client. */
  const consents = new Map<string, Set<string>>();
  const refreshPolicy = options.refreshTokens ?? 'always';
  let signer: IdTokenSigner | null = null;
  let lastId = Math.max(...seed.contacts.map((contact) => contact.id), ...seed.notes.map((note) => note.id));

  const revokeGrant = (grantId: string): void => {
    const grant = grants.get(grantId);
    if (grant) grant.revoked = true;
  };
  const live = (token: IssuedToken | undefined): Grant | null => {
    if (!token || token.expiresAt <= nowSeconds()) return null;
    const grant = grants.get(token.grantId);
    return grant && !grant.revoked ? grant : null;
  };

  return {
    seed,
    domain: seed.domain,
    users: seed.users,
    clients: options.clients ?? [],
    accessTokenTtl: options.accessTokenTtl ?? 3600,
    refreshTokenTtl: options.refreshTokenTtl ?? 60 * 60 * 24 * 90,
    refreshReuseGrace: options.refreshReuseGrace ?? 0,
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    sendIssuer: options.sendIssuer ?? false,
    requiredScopes: options.requiredScopes ?? [],
    discovery: options.discovery ?? 'none',
    idTokenAlg: options.idTokenAlg ?? 'RS256',
    contactLimit: options.contactLimit ?? 10_000,
    /** Fault switches: latency, 429/5xx answers, dropped connections (see faults.ts). */
    faults: createFaults(),

    /** Counts a named event; tests read `count(name)`. */
    hit(name: string): void {
      counters.set(name, (counters.get(name) ?? 0) + 1);
    },
    count(name: string): number {
      return counters.get(name) ?? 0;
    },
    counts(): Record<string, number> {
      return Object.fromEntries(counters);
    },

    userByApiKey(email: string, apiKey: string): SandboxUser | null {
      return seed.users.find((user) => user.email === email.toLowerCase() && user.apiKey === apiKey) ?? null;
    },
    userByPassword(email: string, password: string): SandboxUser | null {
      return seed.users.find((user) => user.email === email.trim().toLowerCase() && user.password === password) ?? null;
    },
    client(clientId: string): OAuthClient | null {
      return this.clients.find((client) => client.clientId === clientId) ?? null;
    },

    contact(id: string): RawContact | null {
      return contacts.get(id) ?? null;
    },
    contactByEmail(email: string): RawContact | null {
      return byEmail.get(email.toLowerCase()) ?? null;
    },
    allContacts(): RawContact[] {
      return [...contacts.values()];
    },
    addContact(contact: Omit<RawContact, 'id'>): RawContact {
      const created: RawContact = { ...contact, id: ++lastId };
      contacts.set(String(created.id), created);
      index(created);
      return created;
    },
    reindex(contact: RawContact): void {
      index(contact);
    },
    notesOf(id: string): RawNote[] {
      return notes.filter((note) => note.contact_ids.includes(id)).sort((a, b) => b.created_time - a.created_time);
    },
    addNote(note: Omit<RawNote, 'id'>): RawNote {
      const created: RawNote = { ...note, id: ++lastId };
      notes.push(created);
      return created;
    },
    tasksOf(id: string): RawTask[] {
      return tasks.filter((task) => task.contacts.includes(id)).sort((a, b) => a.due - b.due);
    },
    addTask(task: Omit<RawTask, 'id'>): RawTask {
      const created: RawTask = { ...task, id: ++lastId };
      tasks.push(created);
      return created;
    },
    dealsOf(id: string): RawDeal[] {
      return deals.filter((deal) => deal.contact_ids.includes(id));
    },

    beginAuthorization(request: Omit<PendingAuthorization, 'expiresAt'>): string {
      const id = randomToken(16);
      pending.set(id, { ...request, expiresAt: nowSeconds() + 600 });
      return id;
    },
    pendingAuthorization(id: string): PendingAuthorization | null {
      const request = pending.get(id);
      return request && request.expiresAt > nowSeconds() ? request : null;
    },
    /** Consent given: the pending request becomes a one-time code valid for 60 s. */
    issueCode(requestId: string, userEmail: string): { code: string; request: PendingAuthorization } | null {
      const request = this.pendingAuthorization(requestId);
      if (!request) return null;
      pending.delete(requestId);
      const code = randomToken();
      codes.set(code, { ...request, userEmail, expiresAt: nowSeconds() + 60, redeemed: false, grantId: null });
      return { code, request };
    },
    endAuthorization(requestId: string): void {
      pending.delete(requestId);
    },
    /** Redeems a code exactly once; a second redemption revokes the grant the first one created. */
    redeemCode(code: string): AuthorizationCode | 'replayed' | null {
      const entry = codes.get(code);
      if (!entry || entry.expiresAt <= nowSeconds()) return null;
      if (entry.redeemed) {
        if (entry.grantId) revokeGrant(entry.grantId);
        return 'replayed';
      }
      entry.redeemed = true;
      return entry;
    },
    /** The grant a redeemed code (or a test) creates, with the refresh-token policy applied to its scope. */
    createGrant(code: AuthorizationCode | null, clientId: string, userEmail: string, scope: string): Grant {
      const requested = scope.split(' ').filter(Boolean);
      const offline = refreshPolicy === 'always'
        || (refreshPolicy === 'offline_access' && requested.includes('offline_access') && !!code?.prompt.includes('consent'));
      const granted = requested.filter((name) => name !== 'offline_access' || offline).join(' ');
      const grant: Grant = { id: randomToken(16), clientId, userEmail, scope: granted, offline, nonce: code?.nonce, revoked: false };
      grants.set(grant.id, grant);
      if (code) code.grantId = grant.id;
      return grant;
    },
    /** Tokens for a grant; a refresh without rotation issues an access token only. */
    issueTokens(grant: Grant, refreshing = false): { access_token: string; refresh_token?: string; expires_in: number } {
      const access = randomToken();
      accessTokens.set(access, { grantId: grant.id, expiresAt: nowSeconds() + this.accessTokenTtl });
      if (!grant.offline || (refreshing && !this.rotateRefreshTokens)) return { access_token: access, expires_in: this.accessTokenTtl };
      const refresh = randomToken();
      refreshTokens.set(refresh, { grantId: grant.id, expiresAt: nowSeconds() + this.refreshTokenTtl });
      return { access_token: access, refresh_token: refresh, expires_in: this.accessTokenTtl };
    },
    /** The ID-token signing key, made at first use (key generation is not free). */
    idTokens(): IdTokenSigner {
      signer ??= idTokenSigner(this.idTokenAlg, (clientId) => this.client(clientId)?.clientSecret ?? '');
      return signer;
    },
    userByEmail(email: string): SandboxUser | null {
      return seed.users.find((user) => user.email === email) ?? null;
    },
    /** Starts a sign-in session for `prompt=none` (the consent page sets it as a cookie); returns its id. */
    startSession(email: string): string {
      const id = randomToken(16);
      sessions.set(id, email);
      return id;
    },
    sessionUser(id: string | undefined): string | null {
      return (id && sessions.get(id)) || null;
    },
    recordConsent(email: string, clientId: string, scope: string): void {
      const key = `${email} ${clientId}`;
      const granted = consents.get(key) ?? new Set<string>();
      for (const name of scope.split(' ').filter(Boolean)) granted.add(name);
      consents.set(key, granted);
    },
    hasConsent(email: string, clientId: string, scope: string): boolean {
      const granted = consents.get(`${email} ${clientId}`);
      return !!granted && scope.split(' ').filter(Boolean).every((name) => granted.has(name));
    },
    /**
     * Rotation (RFC 9700 §4.14.2): a refresh token works once. Presenting a used one means it leaked or a
     * client raced itself; either way the whole grant is revoked. Without rotation, it works until it expires.
     */
    useRefreshToken(token: string, clientId: string): Grant | 'reused' | null {
      const entry = refreshTokens.get(token);
      const grant = live(entry);
      if (!entry || !grant || grant.clientId !== clientId) return null;
      if (!this.rotateRefreshTokens) return grant;
      if (entry.usedAt !== undefined) {
        this.hit('token.refresh_reused');
        if (this.refreshReuseGrace > 0 && Date.now() - entry.usedAt <= this.refreshReuseGrace * 1000) return grant;
        revokeGrant(grant.id);
        return 'reused';
      }
      entry.usedAt = Date.now();
      return grant;
    },
    userForAccessToken(token: string): SandboxUser | null {
      const grant = live(accessTokens.get(token));
      return grant ? (seed.users.find((user) => user.email === grant.userEmail) ?? null) : null;
    },
    /** RFC 7009: revoking a refresh token ends the grant; revoking an access token ends that token. */
    revoke(token: string, clientId: string): void {
      const refresh = refreshTokens.get(token);
      const refreshGrant = refresh && grants.get(refresh.grantId);
      if (refreshGrant && refreshGrant.clientId === clientId) revokeGrant(refreshGrant.id);
      const access = accessTokens.get(token);
      if (access && grants.get(access.grantId)?.clientId === clientId) access.expiresAt = 0;
    },
    /** Test hook: every grant is revoked, as if the user had disconnected the app in Agile CRM. */
    revokeAllGrants(): void {
      for (const grant of grants.values()) grant.revoked = true;
    },
    /** Test hook: every sign-in session ends (the user signed out at the provider): `prompt=none` needs a login again. */
    endSessions(): void {
      sessions.clear();
    },
    /** Test hook: every access token issued so far stops working (as if the clock had passed its expiry). */
    expireAccessTokens(): void {
      for (const token of accessTokens.values()) token.expiresAt = 0;
    },
    grantCount(): { live: number; revoked: number } {
      const all = [...grants.values()];
      return { live: all.filter((grant) => !grant.revoked).length, revoked: all.filter((grant) => grant.revoked).length };
    },
  };
}

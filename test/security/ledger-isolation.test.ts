// Tenant isolation and role enforcement, route by route.
//
// The walker enumerates every /api/v1 route the app serves (from the OpenAPI
// document AND from the router, so a route hidden from the document is found
// too) and fails when one has no case in CASES below: a new route cannot be
// added without saying who may call it and how it is isolated.
//
// Cast: A owns a full ledger (two accounts, a category group and category, a
// payee, a normal transaction, a split and a transfer, two API tokens); B owns
// a ledger of their own; V is a viewer and E an editor of A's ledger; ADMIN is
// an administrator. Every check that must not change A's data compares a
// snapshot of A's rows (read straight from the database) before and after.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Res = Awaited<ReturnType<TestApp['req']>>;

interface Principal {
  id: string;
  email: string;
  token: string;
}

/** How a request authenticates: a bearer token, a session cookie, raw headers, or nothing. */
type Cred = { token: string } | { cookie: string } | { headers: Record<string, string> } | null;

interface World {
  owner: Principal;
  ledger: string;
  accounts: [string, string];
  group: string;
  category: string;
  payee: string;
  tx: string;
  split: string;
  splitPart: string;
  transfer: string;
  transferPeer: string;
  tokenIds: string[];
  /** user ids of every member of the ledger (owner first). */
  members: string[];
  /** import batches: one committed, one still a preview. */
  imports: string[];
  /** a rule (src/rules). */
  rule: string;
  /** an exchange rate (EUR→USD). */
  fxRate: string;
  /** a recurring-bill schedule (src/recurring), a late-bill alert of it, and the key of a detected series not yet accepted. */
  schedule: string;
  alert: string;
  billKey: string;
}

type IdKind = 'account' | 'group' | 'category' | 'payee' | 'transaction' | 'member' | 'import' | 'fxRate' | 'rule' | 'schedule' | 'alert';
type Needs = 'viewer' | 'editor' | 'owner';

/** Ids a request body may point at. */
interface Refs {
  account: string;
  group: string;
  category: string;
  payee: string;
}

interface LedgerCase {
  scope: 'ledger';
  /** The least role that may call it. */
  needs: Needs;
  /** What the {id}/{userId} path parameter names. */
  id?: IdKind;
  query?: (w: World) => string;
  /** A body that succeeds for an authorised caller in w's ledger. */
  body?: (w: World, caller: Principal) => unknown;
  /** Bodies that mix the caller's own ids with ONE id from `foreign` (sent to the caller's own ledger). */
  refBodies?: (own: World, foreign: Refs) => unknown[];
  /** Query strings that name ONE id from `foreign` (sent to the caller's own ledger). */
  refQueries?: (own: World, foreign: Refs) => string[];
  /** Creates a throwaway target in w's ledger (as its owner) for an editor's successful write. */
  disposable?: (w: World) => Promise<string>;
}

interface AccountCase {
  scope: 'public' | 'user' | 'admin';
  /** A representative request (the 401 sweep sends it without credentials). */
  sample: () => { payload?: unknown; url?: string };
  /** Isolation checks for this route; returns what went wrong. */
  check: () => Promise<string[]>;
}

type Case = LedgerCase | AccountCase;

let t: TestApp;
let A: World;
let B: World;
let V: Principal;
let E: Principal;
let ADMIN: Principal;
let bCookie: string;

const PASSWORD = 'correct horse battery';
const uniq = () => randomUUID().slice(0, 8);

// ---------------------------------------------------------------- helpers

function credHeaders(cred: Cred): Record<string, string> {
  if (!cred) return {};
  if ('token' in cred) return { authorization: `Bearer ${cred.token}` };
  if ('cookie' in cred) return { cookie: cred.cookie };
  return cred.headers;
}

async function send(cred: Cred, method: Method, url: string, payload?: unknown): Promise<Res> {
  return t.req({ method, url, headers: credHeaders(cred), ...(payload !== undefined ? { payload: payload as object } : {}) });
}

const as = (p: Principal): Cred => ({ token: p.token });

function describeRes(r: Res): string {
  return `${r.status} ${String(r.headers['content-type'] ?? '')} ${typeof r.body === 'string' ? r.body.slice(0, 300) : JSON.stringify(r.body)?.slice(0, 300)}`;
}

/** Problems are RFC 9457 documents with our code and the request id. */
function problemIssue(r: Res, status: number, code: string): string | undefined {
  if (r.status !== status) return `expected ${status} ${code}, got ${describeRes(r)}`;
  if (!/^application\/problem\+json/.test(String(r.headers['content-type']))) return `expected application/problem+json, got ${describeRes(r)}`;
  if (r.body?.code !== code) return `expected code ${code}, got ${describeRes(r)}`;
  if (typeof r.body?.request_id !== 'string' || r.body.request_id !== r.headers['x-request-id']) return `problem without a matching request_id: ${describeRes(r)}`;
  return undefined;
}

async function ok(r: Promise<Res>, what: string): Promise<Res> {
  const res = await r;
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${describeRes(res)}`);
  return res;
}

const jsonOf = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** Every row that belongs to w (its ledger and its owner's account), as text. */
async function snapshot(w: World): Promise<string> {
  const k = t.c.db.kysely;
  const L = w.ledger;
  const [ledgers, members, accounts, groups, categories, payees, transactions, batches, audit, users, tokens, sessions, fxRates, budgetAssignments, budgetSettings] = await Promise.all([
    k.selectFrom('ledgers').selectAll().where('id', '=', L).execute(),
    k.selectFrom('ledger_members').selectAll().where('ledger_id', '=', L).orderBy('user_id').execute(),
    k.selectFrom('accounts').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('category_groups').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('categories').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('payees').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('transactions').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('import_batches').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('audit_events').select(['id', 'action', 'actor_user_id', 'entity_id']).where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('users').selectAll().where('id', '=', w.owner.id).execute(),
    // last_used_at moves when the owner uses a token; everything else must not.
    k.selectFrom('api_tokens').select(['id', 'user_id', 'name', 'token_hash', 'token_prefix', 'created_at', 'expires_at', 'revoked_at']).where('user_id', '=', w.owner.id).orderBy('id').execute(),
    k.selectFrom('sessions').select(['id', 'user_id', 'token_hash', 'created_at', 'expires_at']).where('user_id', '=', w.owner.id).orderBy('id').execute(),
    k.selectFrom('fx_rates').selectAll().where('ledger_id', '=', L).orderBy('id').execute(),
    k.selectFrom('budget_assignments').selectAll().where('ledger_id', '=', L).orderBy('category_id').orderBy('month').execute(),
    k.selectFrom('budget_category_settings').selectAll().where('ledger_id', '=', L).orderBy('category_id').execute(),
  ]);
  const rules = await k.selectFrom('rules').selectAll().where('ledger_id', '=', L).orderBy('id').execute();
  const ruleDecisions = await k.selectFrom('rule_suggestion_decisions').selectAll().where('ledger_id', '=', L).orderBy('payee_id').orderBy('category_id').execute();
  const schedules = await k.selectFrom('recurring_schedules').selectAll().where('ledger_id', '=', L).orderBy('id').execute();
  const billAlerts = await k.selectFrom('recurring_alerts').selectAll().where('ledger_id', '=', L).orderBy('id').execute();
  return jsonOf({ schedules, billAlerts, rules, ruleDecisions, ledgers, members, accounts, groups, categories, payees, transactions, batches, audit, users, tokens, sessions, fxRates, budgetAssignments, budgetSettings });
}

function idsOf(w: World, kind: IdKind): string[] {
  switch (kind) {
    case 'account':
      return [...w.accounts];
    case 'group':
      return [w.group];
    case 'category':
      return [w.category];
    case 'payee':
      return [w.payee];
    case 'transaction':
      return [w.tx, w.split, w.splitPart, w.transfer, w.transferPeer];
    case 'member':
      return [...w.members];
    case 'import':
      return [...w.imports];
    case 'rule':
      return [w.rule];
    case 'fxRate':
      return [w.fxRate];
    case 'schedule':
      return [w.schedule];
    case 'alert':
      return [w.alert];
  }
}

const refsOf = (w: World): Refs => ({ account: w.accounts[0], group: w.group, category: w.category, payee: w.payee });
const unknownRefs = (): Refs => ({ account: randomUUID(), group: randomUUID(), category: randomUUID(), payee: randomUUID() });

function splitKey(key: string): [Method, string] {
  const [m, p] = key.split(' ') as [Method, string];
  return [m, p];
}

function fill(path: string, ledgerId: string, id: string | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'ledgerId') return ledgerId;
    if (name === 'month') return '2024-03';
    if (id === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return id;
  });
}

function ledgerRequest(key: string, c: LedgerCase, ledgerId: string, id: string | undefined, bodyWorld: World, caller: Principal) {
  const [method, path] = splitKey(key);
  const q = c.query?.(bodyWorld);
  return { method, url: fill(path, ledgerId, id) + (q ? `?${q}` : ''), payload: c.body?.(bodyWorld, caller) };
}

// ---------------------------------------------------------------- fixtures

async function buildWorld(owner: Principal, tag: string): Promise<World> {
  const c = as(owner);
  const ledger = (await ok(send(c, 'POST', '/api/v1/ledgers', { name: `${tag} books`, base_currency: 'USD' }), 'ledger')).body.id as string;
  const L = `/api/v1/ledgers/${ledger}`;
  const acc1 = (await ok(send(c, 'POST', `${L}/accounts`, { name: `${tag} checking`, type: 'checking', currency: 'USD', opening_balance_minor: 100_000 }), 'account 1')).body.id as string;
  const acc2 = (await ok(send(c, 'POST', `${L}/accounts`, { name: `${tag} savings`, type: 'savings', currency: 'USD' }), 'account 2')).body.id as string;
  const group = (await ok(send(c, 'POST', `${L}/category-groups`, { name: `${tag} living` }), 'group')).body.id as string;
  const category = (await ok(send(c, 'POST', `${L}/categories`, { name: `${tag} groceries`, group_id: group }), 'category')).body.id as string;
  const payee = (await ok(send(c, 'POST', `${L}/payees`, { name: `${tag} corner shop` }), 'payee')).body.id as string;
  const tx = (await ok(send(c, 'POST', `${L}/transactions`, { account_id: acc1, posted_on: '2024-03-01', amount_minor: -1500, category_id: category, payee_id: payee, notes: `${tag} milk` }), 'tx')).body.id as string;
  const split = (
    await ok(send(c, 'POST', `${L}/transactions`, { account_id: acc1, posted_on: '2024-03-02', amount_minor: -3000, payee_name: `${tag} market`, splits: [{ amount_minor: -2000, category_id: category }, { amount_minor: -1000, notes: 'other' }] }), 'split')
  ).body;
  const transfer = (await ok(send(c, 'POST', `${L}/transactions`, { account_id: acc1, posted_on: '2024-03-03', amount_minor: -5000, transfer_account_id: acc2 }), 'transfer')).body;
  await ok(send(c, 'POST', '/api/v1/tokens', { name: `${tag} cli` }), 'token');
  const tokens = (await ok(send(c, 'GET', '/api/v1/tokens?limit=200'), 'tokens')).body.items as { id: string }[];
  const committedImport = (await ok(send(c, 'POST', `${L}/imports`, importBody(acc2, `${tag} import`)), 'import')).body.id as string;
  await ok(send(c, 'POST', `${L}/imports/${committedImport}/commit`, {}), 'import commit');
  const previewImport = (await ok(send(c, 'POST', `${L}/imports`, importBody(acc2, `${tag} preview`)), 'import preview')).body.id as string;
  const rule = (await ok(send(c, 'POST', `${L}/rules`, { name: `${tag} milk`, condition: 'notes:milk', actions: [{ type: 'set_category', category_id: category }, { type: 'add_tags', tags: ['milk'] }] }), 'rule')).body.id as string;
  const fxRate = (await ok(send(c, 'POST', `${L}/fx-rates`, { from_currency: 'EUR', to_currency: 'USD', rate_date: '2024-03-01', rate: '1.08' }), 'fx rate')).body.id as string;
  await ok(send(c, 'PUT', `${L}/budgets/2024-03`, { categories: [{ category_id: category, assigned_minor: 2500 }] }), 'budget');
  // Recurring bills: a monthly series to detect (the 10th of the last four months), and a schedule long overdue, evaluated into alerts.
  const thisMonth = new Date().toISOString().slice(0, 7);
  for (let k = 4; k >= 1; k--) {
    const d = new Date(`${thisMonth}-10T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() - k);
    await ok(send(c, 'POST', `${L}/transactions`, { account_id: acc1, posted_on: d.toISOString().slice(0, 10), amount_minor: -1299, payee_name: `${tag} streaming` }), 'bill payment');
  }
  const billKey = (await ok(send(c, 'GET', `${L}/recurring/detect`), 'detect')).body.items[0].key as string;
  const schedule = (await ok(send(c, 'POST', `${L}/schedules`, { payee_id: payee, account_id: acc1, expected_amount_minor: -90_000, cadence: 'monthly', next_expected_on: '2024-01-05' }), 'schedule')).body.id as string;
  const alert = (await ok(send(c, 'POST', `${L}/recurring/evaluate`), 'evaluate')).body.created[0].id as string;
  return {
    owner, ledger, accounts: [acc1, acc2], group, category, payee, tx,
    split: split.id as string, splitPart: split.splits[0].id as string,
    transfer: transfer.id as string, transferPeer: transfer.transfer.peer_id as string,
    tokenIds: tokens.map((x) => x.id), members: [owner.id],
    imports: [committedImport, previewImport],
    rule,
    fxRate,
    schedule,
    alert,
    billKey,
  };
}

/** A one-row CSV statement as a JSON upload (the base64 form of POST …/imports). */
function importBody(accountId: string, payee: string) {
  const csv = `Date,Amount,Payee\n2024-03-05,-12.34,${payee.replace(/,/g, ' ')}\n`;
  return { account_id: accountId, content_base64: Buffer.from(csv).toString('base64'), file_name: 'isolation.csv' };
}

/** A fresh import batch in w's ledger (as its owner): a preview, or committed. */
async function newImport(w: World, commit: boolean): Promise<string> {
  const L = `/api/v1/ledgers/${w.ledger}`;
  const id = (await ok(send(as(w.owner), 'POST', `${L}/imports`, importBody(w.accounts[1], `temp ${uniq()}`)), 'temp import')).body.id as string;
  if (commit) await ok(send(as(w.owner), 'POST', `${L}/imports/${id}/commit`, {}), 'temp import commit');
  return id;
}

async function login(p: Principal): Promise<string> {
  const r = await ok(t.req({ method: 'POST', url: '/api/v1/auth/login', payload: { email: p.email, password: PASSWORD } }), 'login');
  const setCookie = ([] as string[]).concat(r.headers['set-cookie'] as string | string[]);
  const m = /finhub_session=([^;]+)/.exec(setCookie.join('\n'));
  if (!m) throw new Error(`login set no session cookie: ${setCookie.join(' | ')}`);
  return `finhub_session=${m[1]}`;
}

// ---------------------------------------------------------------- operator routes (/api/v1/ops)

/** An operator route: every non-admin (token or session) gets 403 and A's data stays; the admin gets `okStatus`. */
async function adminOnly(method: Method, url: string, payload: unknown, okStatus: number): Promise<string[]> {
  const out: string[] = [];
  const before = await snapshot(A);
  for (const cred of [as(A.owner), as(B.owner), as(V), as(E), { cookie: bCookie }]) {
    const issue = problemIssue(await send(cred, method, url, payload), 403, 'FORBIDDEN');
    if (issue) out.push(`${method} ${url} as a non-admin: ${issue}`);
  }
  if ((await snapshot(A)) !== before) out.push(`${method} ${url}: A's data changed`);
  const r = await send(as(ADMIN), method, url, payload);
  if (r.status !== okStatus) out.push(`${method} ${url} as admin: ${describeRes(r)}`);
  return out;
}

/** A fresh incident (opened directly through the service) for routes that name one. */
const newIncident = async () => (await t.c.incidents.open({ name: 'isolation-test', actor: null }, { title: `iso ${uniq()}`, severity: 'P3' })).id;

const OPS_CASES: Record<string, AccountCase> = {
  'GET /api/v1/ops/incidents': { scope: 'admin', sample: () => ({}), check: () => adminOnly('GET', '/api/v1/ops/incidents', undefined, 200) },
  'POST /api/v1/ops/incidents': { scope: 'admin', sample: () => ({ payload: { title: 'x', severity: 'P3' } }), check: () => adminOnly('POST', '/api/v1/ops/incidents', { title: `iso ${uniq()}`, severity: 'P3' }, 201) },
  'GET /api/v1/ops/incidents/stats': { scope: 'admin', sample: () => ({}), check: () => adminOnly('GET', '/api/v1/ops/incidents/stats', undefined, 200) },
  'GET /api/v1/ops/incidents/{id}': { scope: 'admin', sample: () => ({ url: '/api/v1/ops/incidents/INC-1' }), check: async () => { const id = await newIncident(); return adminOnly('GET', `/api/v1/ops/incidents/${id}`, undefined, 200); } },
  'PATCH /api/v1/ops/incidents/{id}': { scope: 'admin', sample: () => ({ url: '/api/v1/ops/incidents/INC-1', payload: { note: 'x' } }), check: async () => { const id = await newIncident(); return adminOnly('PATCH', `/api/v1/ops/incidents/${id}`, { note: 'looked' }, 200); } },
  'POST /api/v1/ops/incidents/{id}/ack': { scope: 'admin', sample: () => ({ url: '/api/v1/ops/incidents/INC-1/ack', payload: {} }), check: async () => { const id = await newIncident(); return adminOnly('POST', `/api/v1/ops/incidents/${id}/ack`, {}, 200); } },
  'POST /api/v1/ops/incidents/{id}/resolve': { scope: 'admin', sample: () => ({ url: '/api/v1/ops/incidents/INC-1/resolve', payload: {} }), check: async () => { const id = await newIncident(); return adminOnly('POST', `/api/v1/ops/incidents/${id}/resolve`, {}, 200); } },
  'GET /api/v1/ops/incidents/{id}/postmortem': { scope: 'admin', sample: () => ({ url: '/api/v1/ops/incidents/INC-1/postmortem' }), check: async () => { const id = await newIncident(); return adminOnly('GET', `/api/v1/ops/incidents/${id}/postmortem`, undefined, 200); } },
  'GET /api/v1/ops/maintenance': { scope: 'admin', sample: () => ({}), check: () => adminOnly('GET', '/api/v1/ops/maintenance', undefined, 200) },
  'PUT /api/v1/ops/maintenance': {
    scope: 'admin',
    sample: () => ({ payload: { message: 'x' } }),
    check: async () => {
      const out = await adminOnly('PUT', '/api/v1/ops/maintenance', { message: 'isolation test', until: '5m' }, 200);
      // Switch it off again at once: every later write in this file would get 503.
      await ok(send(as(ADMIN), 'DELETE', '/api/v1/ops/maintenance'), 'maintenance off');
      return out;
    },
  },
  'DELETE /api/v1/ops/maintenance': { scope: 'admin', sample: () => ({}), check: () => adminOnly('DELETE', '/api/v1/ops/maintenance', undefined, 200) },
  // Queues an ops snapshot job; reveals no ledger data.
  'POST /api/v1/ops/snapshots': { scope: 'admin', sample: () => ({}), check: () => adminOnly('POST', '/api/v1/ops/snapshots', undefined, 202) },
  // Alertmanager's own bearer token (FINHUB_ALERTMANAGER_TOKEN, unset here), never a user's: every user credential,
  // an administrator's included, gets 401, which is what the 401 sweep expects of non-public routes.
  'POST /api/v1/ops/alertmanager': {
    scope: 'admin',
    sample: () => ({ payload: { version: '4', status: 'firing', alerts: [] } }),
    check: async () => {
      const out: string[] = [];
      const body = { version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'Iso' }, startsAt: '2030-01-01T00:00:00Z', fingerprint: `iso-${uniq()}` }] };
      for (const cred of [as(A.owner), as(ADMIN), { cookie: bCookie }]) {
        const issue = problemIssue(await send(cred, 'POST', '/api/v1/ops/alertmanager', body), 401, 'UNAUTHENTICATED');
        if (issue) out.push(`alertmanager webhook with a user credential: ${issue}`);
      }
      const made = await t.c.db.kysely.selectFrom('incidents').select('id').where('fingerprint', '=', body.alerts[0]!.fingerprint).execute();
      if (made.length) out.push('alertmanager webhook: a user credential opened an incident');
      return out;
    },
  },
};

// ---------------------------------------------------------------- the route table

const txBody = (w: World) => ({ account_id: w.accounts[0], posted_on: '2024-05-01', amount_minor: -100, category_id: w.category, payee_id: w.payee });

const CASES: Record<string, Case> = {
  // --- account level (no ledger in the path)
  'POST /api/v1/setup': {
    scope: 'public',
    sample: () => ({ payload: { token: 'fh_setup_nope', email: `setup-${uniq()}@example.com`, password: PASSWORD } }),
    check: async () => {
      // Setup is done: nobody, with or without credentials, can make another admin through it.
      const out: string[] = [];
      for (const cred of [null, as(B.owner)]) {
        const r = await send(cred, 'POST', '/api/v1/setup', { token: 'fh_setup_nope', email: `setup-${uniq()}@example.com`, password: PASSWORD });
        const issue = problemIssue(r, 409, 'SETUP_ALREADY_DONE');
        if (issue) out.push(`setup: ${issue}`);
      }
      return out;
    },
  },
  'POST /api/v1/auth/login': {
    scope: 'public',
    sample: () => ({ payload: { email: 'nobody@example.com', password: 'wrong password!' } }),
    check: async () => {
      // A wrong password for A and an unknown email are indistinguishable.
      const out: string[] = [];
      const wrong = await send(null, 'POST', '/api/v1/auth/login', { email: A.owner.email, password: 'not the password' });
      const unknown = await send(null, 'POST', '/api/v1/auth/login', { email: `nobody-${uniq()}@example.com`, password: 'not the password' });
      for (const r of [wrong, unknown]) {
        const issue = problemIssue(r, 401, 'INVALID_CREDENTIALS');
        if (issue) out.push(`login: ${issue}`);
      }
      if (wrong.body?.detail !== unknown.body?.detail) out.push(`login: wrong password and unknown email differ: ${wrong.body?.detail} / ${unknown.body?.detail}`);
      if (wrong.headers['set-cookie'] !== undefined) out.push('login: a failed login set a cookie');
      return out;
    },
  },
  'POST /api/v1/auth/logout': {
    scope: 'user',
    sample: () => ({}),
    check: async () => {
      // B logging out with a token revokes that token only.
      const out: string[] = [];
      const tok = (await ok(send(as(B.owner), 'POST', '/api/v1/tokens', { name: 'to log out' }), 'token')).body.token as string;
      const before = await snapshot(A);
      const r = await send({ token: tok }, 'POST', '/api/v1/auth/logout');
      if (r.status !== 204) out.push(`logout: ${describeRes(r)}`);
      const again = await send({ token: tok }, 'GET', '/api/v1/auth/me');
      if (again.status !== 401) out.push(`logout: token still works: ${describeRes(again)}`);
      if ((await send(as(B.owner), 'GET', '/api/v1/auth/me')).status !== 200) out.push("logout: B's other token stopped working");
      if ((await send(as(A.owner), 'GET', '/api/v1/auth/me')).status !== 200) out.push("logout: A's token stopped working");
      if ((await snapshot(A)) !== before) out.push("logout: A's data changed");
      return out;
    },
  },
  'GET /api/v1/auth/me': {
    scope: 'user',
    sample: () => ({}),
    check: async () => {
      const out: string[] = [];
      for (const cred of [as(B.owner), { cookie: bCookie }]) {
        const r = await send(cred, 'GET', '/api/v1/auth/me');
        if (r.status !== 200 || r.body.id !== B.owner.id) out.push(`me: ${describeRes(r)}`);
      }
      return out;
    },
  },
  'GET /api/v1/tokens': {
    scope: 'user',
    sample: () => ({}),
    check: async () => {
      const r = await send(as(B.owner), 'GET', '/api/v1/tokens?limit=200');
      if (r.status !== 200) return [`tokens: ${describeRes(r)}`];
      const ids = (r.body.items as { id: string }[]).map((x) => x.id);
      return ids.filter((id) => A.tokenIds.includes(id)).map((id) => `tokens: B's list shows A's token ${id}`);
    },
  },
  'POST /api/v1/tokens': {
    scope: 'user',
    sample: () => ({ payload: { name: 'x' } }),
    check: async () => {
      const r = await send(as(B.owner), 'POST', '/api/v1/tokens', { name: `b-${uniq()}` });
      if (r.status !== 201) return [`create token: ${describeRes(r)}`];
      const row = await t.c.db.kysely.selectFrom('api_tokens').select('user_id').where('id', '=', r.body.id).executeTakeFirst();
      return row?.user_id === B.owner.id ? [] : [`create token: token belongs to ${row?.user_id}`];
    },
  },
  'DELETE /api/v1/tokens/{id}': {
    scope: 'user',
    sample: () => ({ url: `/api/v1/tokens/${A.tokenIds[0]}` }),
    check: async () => {
      // B cannot revoke A's tokens, and cannot tell them from tokens that do not exist.
      const out: string[] = [];
      const before = await snapshot(A);
      for (const id of A.tokenIds) {
        const r = await send(as(B.owner), 'DELETE', `/api/v1/tokens/${id}`);
        const issue = problemIssue(r, 404, 'NOT_FOUND');
        if (issue) out.push(`revoke A's token ${id}: ${issue}`);
        const ctrl = await send(as(B.owner), 'DELETE', `/api/v1/tokens/${randomUUID()}`);
        if (ctrl.status !== r.status || ctrl.body?.detail !== r.body?.detail) out.push(`revoke: A's token and an unknown id answer differently: ${describeRes(r)} / ${describeRes(ctrl)}`);
      }
      if ((await snapshot(A)) !== before) out.push("revoke: A's tokens changed");
      if ((await send(as(A.owner), 'GET', '/api/v1/auth/me')).status !== 200) out.push("revoke: A's token stopped working");
      return out;
    },
  },
  'GET /api/v1/users': {
    scope: 'admin',
    sample: () => ({}),
    check: async () => {
      const out: string[] = [];
      for (const p of [A.owner, B.owner, V, E]) {
        const issue = problemIssue(await send(as(p), 'GET', '/api/v1/users'), 403, 'FORBIDDEN');
        if (issue) out.push(`list users as ${p.email}: ${issue}`);
      }
      const issue = problemIssue(await send({ cookie: bCookie }, 'GET', '/api/v1/users'), 403, 'FORBIDDEN');
      if (issue) out.push(`list users with B's session: ${issue}`);
      const r = await send(as(ADMIN), 'GET', '/api/v1/users?limit=200');
      if (r.status !== 200 || !(r.body.items as { id: string }[]).some((u) => u.id === A.owner.id)) out.push(`list users as admin: ${describeRes(r)}`);
      return out;
    },
  },
  'POST /api/v1/users': {
    scope: 'admin',
    sample: () => ({ payload: { email: `x-${uniq()}@example.com`, password: PASSWORD } }),
    check: async () => {
      const out: string[] = [];
      for (const p of [A.owner, B.owner, V, E]) {
        const email = `sneaky-${uniq()}@example.com`;
        const issue = problemIssue(await send(as(p), 'POST', '/api/v1/users', { email, password: PASSWORD, is_admin: true }), 403, 'FORBIDDEN');
        if (issue) out.push(`create user as ${p.email}: ${issue}`);
        if (await t.c.auth.findUserByEmail(email)) out.push(`create user as ${p.email}: the user was created`);
      }
      const r = await send(as(ADMIN), 'POST', '/api/v1/users', { email: `made-${uniq()}@example.com`, password: PASSWORD });
      if (r.status !== 201) out.push(`create user as admin: ${describeRes(r)}`);
      return out;
    },
  },
  'GET /api/v1/ledgers': {
    scope: 'user',
    sample: () => ({}),
    check: async () => {
      const out: string[] = [];
      for (const cred of [as(B.owner), { cookie: bCookie }]) {
        const r = await send(cred, 'GET', '/api/v1/ledgers?limit=200');
        if (r.status !== 200) out.push(`list ledgers: ${describeRes(r)}`);
        else if ((r.body.items as { id: string }[]).some((l) => l.id === A.ledger)) out.push("list ledgers: B sees A's ledger");
      }
      return out;
    },
  },
  'POST /api/v1/ledgers': {
    scope: 'user',
    sample: () => ({ payload: { name: 'x', base_currency: 'USD' } }),
    check: async () => {
      const r = await send(as(B.owner), 'POST', '/api/v1/ledgers', { name: `B extra ${uniq()}`, base_currency: 'EUR' });
      if (r.status !== 201) return [`create ledger: ${describeRes(r)}`];
      const mine = await send(as(A.owner), 'GET', '/api/v1/ledgers?limit=200');
      return (mine.body.items as { id: string }[]).some((l) => l.id === r.body.id) ? ["create ledger: A sees B's new ledger"] : [];
    },
  },

  // --- operator routes (incidents, maintenance, the Alertmanager webhook)
  ...OPS_CASES,

  // --- ledgers and members
  'GET /api/v1/ledgers/{ledgerId}': { scope: 'ledger', needs: 'viewer' },
  'PATCH /api/v1/ledgers/{ledgerId}': { scope: 'ledger', needs: 'owner', body: () => ({ name: `renamed ${uniq()}`, base_currency: 'EUR' }) },
  'DELETE /api/v1/ledgers/{ledgerId}': { scope: 'ledger', needs: 'owner' },
  'GET /api/v1/ledgers/{ledgerId}/members': { scope: 'ledger', needs: 'viewer' },
  // The caller tries to make themself owner.
  'PUT /api/v1/ledgers/{ledgerId}/members': { scope: 'ledger', needs: 'owner', body: (_w, caller) => ({ user_id: caller.id, role: 'owner' }) },
  // Removing someone else needs owner (leaving is checked on its own below).
  'DELETE /api/v1/ledgers/{ledgerId}/members/{userId}': { scope: 'ledger', needs: 'owner', id: 'member' },

  // --- accounts
  'GET /api/v1/ledgers/{ledgerId}/accounts': { scope: 'ledger', needs: 'viewer', query: () => 'include_closed=true' },
  'POST /api/v1/ledgers/{ledgerId}/accounts': { scope: 'ledger', needs: 'editor', body: () => ({ name: `evil ${uniq()}`, type: 'cash', currency: 'USD', opening_balance_minor: 1 }) },
  'GET /api/v1/ledgers/{ledgerId}/accounts/{id}': { scope: 'ledger', needs: 'viewer', id: 'account' },
  'PATCH /api/v1/ledgers/{ledgerId}/accounts/{id}': { scope: 'ledger', needs: 'editor', id: 'account', body: () => ({ name: `evil ${uniq()}`, opening_balance_minor: 999_999, closed: true }) },
  'DELETE /api/v1/ledgers/{ledgerId}/accounts/{id}': {
    scope: 'ledger', needs: 'editor', id: 'account',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/accounts`, { name: `temp ${uniq()}`, type: 'cash', currency: 'USD' }), 'temp account')).body.id,
  },
  'GET /api/v1/ledgers/{ledgerId}/balances': { scope: 'ledger', needs: 'viewer' },

  // --- categories
  'GET /api/v1/ledgers/{ledgerId}/categories': { scope: 'ledger', needs: 'viewer' },
  'POST /api/v1/ledgers/{ledgerId}/category-groups': { scope: 'ledger', needs: 'editor', body: () => ({ name: `grp ${uniq()}`, is_income: true }) },
  'PATCH /api/v1/ledgers/{ledgerId}/category-groups/{id}': { scope: 'ledger', needs: 'editor', id: 'group', body: () => ({ name: `grp ${uniq()}`, hidden: true }) },
  'DELETE /api/v1/ledgers/{ledgerId}/category-groups/{id}': {
    scope: 'ledger', needs: 'editor', id: 'group',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/category-groups`, { name: `temp ${uniq()}` }), 'temp group')).body.id,
  },
  'POST /api/v1/ledgers/{ledgerId}/categories': {
    scope: 'ledger', needs: 'editor',
    body: (w) => ({ name: `cat ${uniq()}`, group_id: w.group }),
    refBodies: (_own, f) => [{ name: `cat ${uniq()}`, group_id: f.group }],
  },
  'PATCH /api/v1/ledgers/{ledgerId}/categories/{id}': {
    scope: 'ledger', needs: 'editor', id: 'category',
    body: (w) => ({ name: `cat ${uniq()}`, group_id: w.group }),
    refBodies: (_own, f) => [{ group_id: f.group }],
  },
  'DELETE /api/v1/ledgers/{ledgerId}/categories/{id}': {
    scope: 'ledger', needs: 'editor', id: 'category',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/categories`, { name: `temp ${uniq()}`, group_id: w.group }), 'temp category')).body.id,
  },

  // --- payees
  'GET /api/v1/ledgers/{ledgerId}/payees': { scope: 'ledger', needs: 'viewer', query: () => 'q=corner' },
  'POST /api/v1/ledgers/{ledgerId}/payees': { scope: 'ledger', needs: 'editor', body: () => ({ name: `payee ${uniq()}` }) },
  'GET /api/v1/ledgers/{ledgerId}/payees/{id}': { scope: 'ledger', needs: 'viewer', id: 'payee' },
  'PATCH /api/v1/ledgers/{ledgerId}/payees/{id}': { scope: 'ledger', needs: 'editor', id: 'payee', body: () => ({ name: `payee ${uniq()}` }) },
  'DELETE /api/v1/ledgers/{ledgerId}/payees/{id}': {
    scope: 'ledger', needs: 'editor', id: 'payee',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/payees`, { name: `temp ${uniq()}` }), 'temp payee')).body.id,
  },

  // --- transactions
  'GET /api/v1/ledgers/{ledgerId}/transactions': {
    scope: 'ledger', needs: 'viewer',
    query: (w) => `account_id=${w.accounts[0]}&limit=200`,
    refQueries: (_own, f) => [`account_id=${f.account}`, `category_id=${f.category}`, `payee_id=${f.payee}`],
  },
  'POST /api/v1/ledgers/{ledgerId}/transactions': {
    scope: 'ledger', needs: 'editor',
    body: txBody,
    refBodies: (own, f) => {
      const base = { account_id: own.accounts[0], posted_on: '2024-05-02', amount_minor: -200 };
      return [
        { ...base, account_id: f.account },
        { ...base, category_id: f.category },
        { ...base, payee_id: f.payee },
        { ...base, transfer_account_id: f.account },
        { ...base, splits: [{ amount_minor: -150, category_id: f.category }, { amount_minor: -50 }] },
      ];
    },
  },
  'GET /api/v1/ledgers/{ledgerId}/transactions/{id}': { scope: 'ledger', needs: 'viewer', id: 'transaction' },
  'PATCH /api/v1/ledgers/{ledgerId}/transactions/{id}': {
    scope: 'ledger', needs: 'editor', id: 'transaction',
    body: () => ({ notes: `edited ${uniq()}`, cleared_state: 'cleared' }),
    // Sent against the caller's own normal transaction (amount -1500).
    refBodies: (_own, f) => [
      { account_id: f.account },
      { category_id: f.category },
      { payee_id: f.payee },
      { transfer_account_id: f.account },
      { splits: [{ amount_minor: -1000, category_id: f.category }, { amount_minor: -500 }] },
    ],
  },
  'DELETE /api/v1/ledgers/{ledgerId}/transactions/{id}': {
    scope: 'ledger', needs: 'editor', id: 'transaction',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/transactions`, txBody(w)), 'temp tx')).body.id,
  },

  // --- statement imports (the upload is also tested as multipart and raw bytes in test/imports/routes.test.ts)
  'POST /api/v1/ledgers/{ledgerId}/imports': {
    scope: 'ledger', needs: 'editor',
    body: (w) => importBody(w.accounts[1], `upload ${uniq()}`),
    refBodies: (_own, f) => [importBody(f.account, 'foreign account')],
  },
  'GET /api/v1/ledgers/{ledgerId}/imports': { scope: 'ledger', needs: 'viewer', query: () => 'limit=200' },
  'GET /api/v1/ledgers/{ledgerId}/imports/{batchId}': { scope: 'ledger', needs: 'viewer', id: 'import' },
  'GET /api/v1/ledgers/{ledgerId}/imports/{batchId}/rows': { scope: 'ledger', needs: 'viewer', id: 'import', query: () => 'limit=10' },
  'POST /api/v1/ledgers/{ledgerId}/imports/{batchId}/commit': { scope: 'ledger', needs: 'editor', id: 'import', body: () => ({}), disposable: (w) => newImport(w, false) },
  // Undo of a committed batch and discard of a preview.
  'DELETE /api/v1/ledgers/{ledgerId}/imports/{batchId}': { scope: 'ledger', needs: 'editor', id: 'import', disposable: (w) => newImport(w, true) },
  // No pairs given: links every current suggestion of the batch.
  'POST /api/v1/ledgers/{ledgerId}/imports/{batchId}/transfers': { scope: 'ledger', needs: 'editor', id: 'import', body: () => ({}), disposable: (w) => newImport(w, true) },

  // --- rules (src/rules): CRUD, apply (editor), dry run (viewer: it writes nothing), suggestions
  'GET /api/v1/ledgers/{ledgerId}/rules': { scope: 'ledger', needs: 'viewer' },
  'POST /api/v1/ledgers/{ledgerId}/rules': {
    scope: 'ledger', needs: 'editor',
    body: () => ({ name: `rule ${uniq()}`, condition: 'payee:corner', actions: [{ type: 'add_tags', tags: ['iso'] }] }),
    refBodies: (_own, f) => [
      { name: 'foreign category', condition: '', actions: [{ type: 'set_category', category_id: f.category }] },
      { name: 'foreign account', condition: '', actions: [{ type: 'link_transfer', account_id: f.account }] },
    ],
  },
  'GET /api/v1/ledgers/{ledgerId}/rules/{ruleId}': { scope: 'ledger', needs: 'viewer', id: 'rule' },
  'PATCH /api/v1/ledgers/{ledgerId}/rules/{ruleId}': {
    scope: 'ledger', needs: 'editor', id: 'rule',
    body: () => ({ enabled: false, condition: 'notes:milk amount:>1' }),
    refBodies: (_own, f) => [{ actions: [{ type: 'set_category', category_id: f.category }] }],
  },
  'DELETE /api/v1/ledgers/{ledgerId}/rules/{ruleId}': {
    scope: 'ledger', needs: 'editor', id: 'rule',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/rules`, { name: `temp ${uniq()}`, condition: '', actions: [{ type: 'mark_cleared' }] }), 'temp rule')).body.id,
  },
  'POST /api/v1/ledgers/{ledgerId}/rules/apply': { scope: 'ledger', needs: 'editor', body: () => ({ query: 'notes:milk' }) },
  'POST /api/v1/ledgers/{ledgerId}/rules/dry-run': { scope: 'ledger', needs: 'viewer', body: () => ({}) },
  'GET /api/v1/ledgers/{ledgerId}/rules/suggestions': { scope: 'ledger', needs: 'viewer', query: () => 'min_count=2' },
  'POST /api/v1/ledgers/{ledgerId}/rules/suggestions/accept': {
    scope: 'ledger', needs: 'editor',
    body: (w) => ({ payee_id: w.payee, category_id: w.category, name: `accepted ${uniq()}` }),
    refBodies: (own, f) => [{ payee_id: f.payee, category_id: own.category }, { payee_id: own.payee, category_id: f.category }],
  },
  'POST /api/v1/ledgers/{ledgerId}/rules/suggestions/dismiss': {
    scope: 'ledger', needs: 'editor',
    body: (w) => ({ payee_id: w.payee, category_id: w.category }),
    refBodies: (own, f) => [{ payee_id: f.payee, category_id: own.category }, { payee_id: own.payee, category_id: f.category }],
  },

  // --- exchange rates and net worth (src/fx)
  'GET /api/v1/ledgers/{ledgerId}/fx-rates': { scope: 'ledger', needs: 'viewer', query: () => 'from_currency=EUR&to_currency=USD&either_way=true' },
  'POST /api/v1/ledgers/{ledgerId}/fx-rates': { scope: 'ledger', needs: 'editor', body: () => ({ from_currency: 'GBP', to_currency: 'USD', rate_date: '2024-03-02', rate: '1.27' }) },
  'POST /api/v1/ledgers/{ledgerId}/fx-rates/import': { scope: 'ledger', needs: 'editor', body: () => ({ csv: 'date,from,to,rate\n2024-03-04,EUR,USD,1.09\n' }) },
  'GET /api/v1/ledgers/{ledgerId}/fx-rates/convert': { scope: 'ledger', needs: 'viewer', query: () => 'amount_minor=1000&from_currency=EUR&to_currency=USD&date=2024-03-05' },
  'DELETE /api/v1/ledgers/{ledgerId}/fx-rates/{id}': {
    scope: 'ledger', needs: 'editor', id: 'fxRate',
    disposable: async (w) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/fx-rates`, { from_currency: 'CHF', to_currency: 'USD', rate_date: `2024-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 10)}`, rate: '1.1' }), 'temp rate')).body.id,
  },
  'GET /api/v1/ledgers/{ledgerId}/net-worth': { scope: 'ledger', needs: 'viewer', query: () => 'currency=USD&date=2024-03-31' },

  // --- budgets (src/budgets)
  'GET /api/v1/ledgers/{ledgerId}/budgets': { scope: 'ledger', needs: 'viewer', query: () => 'from=2024-02&to=2024-04' },
  'GET /api/v1/ledgers/{ledgerId}/budgets/{month}': { scope: 'ledger', needs: 'viewer' },
  'PUT /api/v1/ledgers/{ledgerId}/budgets/{month}': {
    scope: 'ledger', needs: 'editor',
    body: (w) => ({ categories: [{ category_id: w.category, assigned_minor: 3000 }] }),
    refBodies: (own, f) => [{ categories: [{ category_id: own.category, assigned_minor: 10 }, { category_id: f.category, assigned_minor: 10 }] }],
  },
  'PUT /api/v1/ledgers/{ledgerId}/budgets/{month}/categories/{id}': { scope: 'ledger', needs: 'editor', id: 'category', body: () => ({ assigned_minor: 4000 }) },
  'GET /api/v1/ledgers/{ledgerId}/budget-categories': { scope: 'ledger', needs: 'viewer' },
  'PUT /api/v1/ledgers/{ledgerId}/budget-categories/{id}': { scope: 'ledger', needs: 'editor', id: 'category', body: () => ({ mode: 'limit', limit_minor: 5000 }) },
};

// Part C of issue 6 (src/reports, src/recurring): reports are reads; recurring bills read, accept, evaluate and keep schedules.
const REPORT_RANGE = () => 'from=2024-01-01&to=2024-12-31';
const scheduleBody = (w: World) => ({ payee_id: w.payee, account_id: w.accounts[0], category_id: w.category, expected_amount_minor: -5000, cadence: 'monthly', next_expected_on: '2030-01-15' });
Object.assign(CASES, {
  ...Object.fromEntries(['spending', 'cashflow', 'net-worth', 'budget', 'balances', 'payees', 'trend'].map((r) => [`GET /api/v1/ledgers/{ledgerId}/reports/${r}`, { scope: 'ledger', needs: 'viewer', query: REPORT_RANGE }])),
  'GET /api/v1/ledgers/{ledgerId}/recurring/detect': { scope: 'ledger', needs: 'viewer' },
  'POST /api/v1/ledgers/{ledgerId}/recurring/accept': { scope: 'ledger', needs: 'editor', body: (w: World) => ({ keys: [w.billKey] }) },
  'GET /api/v1/ledgers/{ledgerId}/recurring/upcoming': { scope: 'ledger', needs: 'viewer', query: () => 'days=60' },
  'GET /api/v1/ledgers/{ledgerId}/recurring/alerts': { scope: 'ledger', needs: 'viewer', query: () => 'include_dismissed=true' },
  'POST /api/v1/ledgers/{ledgerId}/recurring/alerts/{id}/dismiss': { scope: 'ledger', needs: 'editor', id: 'alert' },
  'POST /api/v1/ledgers/{ledgerId}/recurring/evaluate': { scope: 'ledger', needs: 'editor' },
  'GET /api/v1/ledgers/{ledgerId}/schedules': { scope: 'ledger', needs: 'viewer', query: () => 'include_inactive=true' },
  'POST /api/v1/ledgers/{ledgerId}/schedules': {
    scope: 'ledger', needs: 'editor', body: scheduleBody,
    refBodies: (own: World, f: Refs) => [{ ...scheduleBody(own), payee_id: f.payee }, { ...scheduleBody(own), account_id: f.account }, { ...scheduleBody(own), category_id: f.category }],
  },
  'GET /api/v1/ledgers/{ledgerId}/schedules/{id}': { scope: 'ledger', needs: 'viewer', id: 'schedule' },
  'PATCH /api/v1/ledgers/{ledgerId}/schedules/{id}': {
    scope: 'ledger', needs: 'editor', id: 'schedule', body: () => ({ tolerance_bp: 2000, active: true }),
    refBodies: (_own: World, f: Refs) => [{ payee_id: f.payee }, { account_id: f.account }, { category_id: f.category }],
  },
  'DELETE /api/v1/ledgers/{ledgerId}/schedules/{id}': {
    scope: 'ledger', needs: 'editor', id: 'schedule',
    disposable: async (w: World) => (await ok(send(as(w.owner), 'POST', `/api/v1/ledgers/${w.ledger}/schedules`, scheduleBody(w)), 'temp schedule')).body.id,
  },
} satisfies Record<string, LedgerCase>);

const ledgerCases = () => Object.entries(CASES).filter((e): e is [string, LedgerCase] => e[1].scope === 'ledger');
const accountCases = () => Object.entries(CASES).filter((e): e is [string, AccountCase] => e[1].scope !== 'ledger');

// ---------------------------------------------------------------- route discovery

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Parses Fastify's printRoutes({ commonPrefix: false }) tree into "METHOD /path" keys (HEAD left out: Fastify adds it to every GET). */
function parsePrintedRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

async function discoverApiRoutes(): Promise<{ fromDoc: string[]; fromRouter: string[] }> {
  const doc = await t.req({ method: 'GET', url: '/api/openapi.json' });
  expect(doc.status).toBe(200);
  const fromDoc: string[] = [];
  for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
    for (const m of Object.keys(ops)) if (HTTP_METHODS.includes(m)) fromDoc.push(`${m.toUpperCase()} ${path}`);
  }
  const fromRouter = parsePrintedRoutes(t.app.printRoutes({ commonPrefix: false }));
  const api = (k: string) => splitKey(k)[1].startsWith('/api/v1/');
  return { fromDoc: fromDoc.filter(api), fromRouter: fromRouter.filter(api) };
}

// ---------------------------------------------------------------- tests

describe('ledger isolation and roles, route by route', () => {
  beforeAll(async () => {
    t = await createTestApp();
    const a = await t.user();
    const b = await t.user();
    V = await t.user();
    E = await t.user();
    ADMIN = await t.user(undefined, { admin: true });
    A = await buildWorld(a, 'A');
    B = await buildWorld(b, 'B');
    await ok(send(as(a), 'PUT', `/api/v1/ledgers/${A.ledger}/members`, { user_id: V.id, role: 'viewer' }), 'add viewer');
    await ok(send(as(a), 'PUT', `/api/v1/ledgers/${A.ledger}/members`, { email: E.email, role: 'editor' }), 'add editor');
    A.members.push(V.id, E.id);
    bCookie = await login(b);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('every /api/v1 route (OpenAPI document and router) has a case, and every case a route', async () => {
    const { fromDoc, fromRouter } = await discoverApiRoutes();
    const served = new Set([...fromDoc, ...fromRouter]);
    // Both sources must actually have been read (a silently broken parser would cover nothing).
    expect(fromDoc.length).toBeGreaterThan(30);
    expect(fromRouter.length).toBeGreaterThan(30);
    const missing = [...served].filter((k) => !(k in CASES));
    expect(missing, 'routes without a case in CASES (add one: who may call it, and what it may reveal)').toEqual([]);
    const stale = Object.keys(CASES).filter((k) => !served.has(k));
    expect(stale, 'cases for routes that no longer exist').toEqual([]);
  });

  it.each([
    ['bearer token', () => as(B.owner)],
    ['session cookie', () => ({ cookie: bCookie })],
  ])("B (%s) gets 404 for A's ledger and objects on every ledger route, indistinguishable from unknown ids, and A's data stays as it was", async (_label, bCred) => {
    const failures: string[] = [];
    let requests = 0;
    const cred = bCred();
    for (const [key, c] of ledgerCases()) {
      const [method] = splitKey(key);
      type Variant = { label: string; ledger: string; id: string | undefined; body: World; ctrl: { ledger: string; id: string | undefined } };
      const variants: Variant[] = [];
      const aIds = c.id ? idsOf(A, c.id) : [undefined];
      for (const id of aIds) variants.push({ label: "A's ledger, A's object", ledger: A.ledger, id, body: A, ctrl: { ledger: randomUUID(), id: c.id ? randomUUID() : undefined } });
      if (c.id) {
        for (const id of idsOf(B, c.id)) variants.push({ label: "A's ledger, B's object", ledger: A.ledger, id, body: B, ctrl: { ledger: randomUUID(), id } });
        for (const id of aIds) variants.push({ label: "B's ledger, A's object", ledger: B.ledger, id, body: B, ctrl: { ledger: B.ledger, id: randomUUID() } });
      } else {
        variants.push({ label: "A's ledger, B's body", ledger: A.ledger, id: undefined, body: B, ctrl: { ledger: randomUUID(), id: undefined } });
      }
      for (const v of variants) {
        const where = `${key} [${v.label}${v.id ? ` ${v.id}` : ''}]`;
        const before = await snapshot(A);
        const req = ledgerRequest(key, c, v.ledger, v.id, v.body, B.owner);
        const res = await send(cred, req.method, req.url, req.payload);
        const ctrlReq = ledgerRequest(key, c, v.ctrl.ledger, v.ctrl.id, v.body, B.owner);
        const ctrl = await send(cred, ctrlReq.method, ctrlReq.url, ctrlReq.payload);
        requests += 2;
        const issue = problemIssue(res, 404, 'NOT_FOUND');
        if (issue) failures.push(`${where}: ${issue}`);
        // Existence is not revealed: the answer for A's real ids equals the answer for ids that exist nowhere.
        const shape = (r: Res) => jsonOf({ status: r.status, code: r.body?.code, title: r.body?.title, detail: r.body?.detail, errors: r.body?.errors });
        if (shape(res) !== shape(ctrl)) failures.push(`${where}: differs from an unknown id: ${shape(res)} vs ${shape(ctrl)}`);
        if (method === 'GET') {
          const head = await send(cred, 'HEAD', req.url);
          requests++;
          if (head.status !== 404) failures.push(`${where} HEAD: ${head.status}`);
        }
        if ((await snapshot(A)) !== before) failures.push(`${where}: A's data changed`);
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(100);
    // A's world still answers to A.
    expect((await send(as(A.owner), 'GET', `/api/v1/ledgers/${A.ledger}/transactions/${A.split}`)).status).toBe(200);
  });

  it("B's own ledger treats A's ids in bodies and filters exactly like ids that exist nowhere", async () => {
    const failures: string[] = [];
    const shape = (r: Res) => jsonOf({ status: r.status, code: r.body?.code, detail: r.body?.detail, errors: r.body?.errors });
    for (const [key, c] of ledgerCases()) {
      if (!c.refBodies && !c.refQueries) continue;
      const [method, path] = splitKey(key);
      // The caller's own plain object of the route's kind (B.tx is B's normal transaction).
      const id = c.id ? idsOf(B, c.id)[0] : undefined;
      const url = fill(path, B.ledger, id);
      const aBodies = c.refBodies?.(B, refsOf(A)) ?? [];
      const uBodies = c.refBodies?.(B, unknownRefs()) ?? [];
      for (let i = 0; i < aBodies.length; i++) {
        const before = await snapshot(A);
        const res = await send(as(B.owner), method, url, aBodies[i]);
        const ctrl = await send(as(B.owner), method, url, uBodies[i]);
        const where = `${key} body ${JSON.stringify(aBodies[i])}`;
        if (res.status < 400) failures.push(`${where}: accepted: ${describeRes(res)}`);
        else if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) failures.push(`${where}: not problem+json: ${describeRes(res)}`);
        if (shape(res) !== shape(ctrl)) failures.push(`${where}: differs from an unknown id: ${shape(res)} vs ${shape(ctrl)}`);
        if ((await snapshot(A)) !== before) failures.push(`${where}: A's data changed`);
      }
      const aQueries = c.refQueries?.(B, refsOf(A)) ?? [];
      const uQueries = c.refQueries?.(B, unknownRefs()) ?? [];
      for (let i = 0; i < aQueries.length; i++) {
        const res = await send(as(B.owner), method, `${url}?${aQueries[i]}`);
        const ctrl = await send(as(B.owner), method, `${url}?${uQueries[i]}`);
        const where = `${key}?${aQueries[i]}`;
        if (res.status !== 200) failures.push(`${where}: ${describeRes(res)}`);
        else if ((res.body.items as { ledger_id: string }[]).some((x) => x.ledger_id !== B.ledger)) failures.push(`${where}: lists rows of another ledger`);
        if (jsonOf({ s: res.status, b: res.body }) !== jsonOf({ s: ctrl.status, b: ctrl.body })) failures.push(`${where}: differs from an unknown id`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a viewer of A\'s ledger can read everything but gets 403 (and changes nothing) on every write', async () => {
    const failures: string[] = [];
    for (const [key, c] of ledgerCases()) {
      const ids = c.id ? idsOf(A, c.id).filter((id) => !(c.id === 'member' && id === V.id)) : [undefined];
      for (const id of ids) {
        const req = ledgerRequest(key, c, A.ledger, id, A, V);
        const where = `${key}${id ? ` ${id}` : ''}`;
        if (c.needs === 'viewer') {
          const res = await send(as(V), req.method, req.url, req.payload);
          if (res.status !== 200) failures.push(`${where}: viewer read failed: ${describeRes(res)}`);
        } else {
          const before = await snapshot(A);
          const res = await send(as(V), req.method, req.url, req.payload);
          const issue = problemIssue(res, 403, 'FORBIDDEN');
          if (issue) failures.push(`${where}: ${issue}`);
          if ((await snapshot(A)) !== before) failures.push(`${where}: A's data changed`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("an editor of A's ledger can write but cannot manage members, rename or delete the ledger", async () => {
    const failures: string[] = [];
    for (const [key, c] of ledgerCases()) {
      if (c.needs === 'owner') {
        const ids = c.id ? idsOf(A, c.id).filter((id) => !(c.id === 'member' && id === E.id)) : [undefined];
        for (const id of ids) {
          const before = await snapshot(A);
          const req = ledgerRequest(key, c, A.ledger, id, A, E);
          const res = await send(as(E), req.method, req.url, req.payload);
          const issue = problemIssue(res, 403, 'FORBIDDEN');
          if (issue) failures.push(`${key}${id ? ` ${id}` : ''}: ${issue}`);
          if ((await snapshot(A)) !== before) failures.push(`${key}: A's data changed`);
        }
        continue;
      }
      const id = c.disposable ? await c.disposable(A) : c.id ? idsOf(A, c.id)[0] : undefined;
      const req = ledgerRequest(key, c, A.ledger, id, A, E);
      const res = await send(as(E), req.method, req.url, req.payload);
      if (res.status < 200 || res.status > 299) failures.push(`${key}: editor could not: ${describeRes(res)}`);
    }
    // Adding someone (here B) is an owner's business too.
    const add = await send(as(E), 'PUT', `/api/v1/ledgers/${A.ledger}/members`, { email: B.owner.email, role: 'viewer' });
    const issue = problemIssue(add, 403, 'FORBIDDEN');
    if (issue) failures.push(`editor adds B: ${issue}`);
    expect(failures).toEqual([]);
    const roles = await t.c.db.kysely.selectFrom('ledger_members').select(['user_id', 'role']).where('ledger_id', '=', A.ledger).orderBy('user_id').execute();
    expect(roles.map((r) => `${r.user_id}:${r.role}`).sort()).toEqual([`${A.owner.id}:owner`, `${V.id}:viewer`, `${E.id}:editor`].sort());
  });

  it('members may leave; the last owner may not', async () => {
    const leaver = await t.user();
    await ok(send(as(A.owner), 'PUT', `/api/v1/ledgers/${A.ledger}/members`, { user_id: leaver.id, role: 'viewer' }), 'add');
    expect((await send(as(leaver), 'DELETE', `/api/v1/ledgers/${A.ledger}/members/${leaver.id}`)).status).toBe(204);
    expect(problemIssue(await send(as(leaver), 'GET', `/api/v1/ledgers/${A.ledger}`), 404, 'NOT_FOUND')).toBeUndefined();
    expect(problemIssue(await send(as(A.owner), 'DELETE', `/api/v1/ledgers/${A.ledger}/members/${A.owner.id}`), 409, 'CONFLICT')).toBeUndefined();
  });

  it('without valid credentials every non-public /api/v1 route answers 401 problem+json and changes nothing', async () => {
    const { fromDoc, fromRouter } = await discoverApiRoutes();
    const keys = [...new Set([...fromDoc, ...fromRouter])].sort();
    // Credentials that must not work: none, junk, wrong scheme, revoked, expired, a disabled user's, a bogus session.
    const revoked = (await ok(send(as(A.owner), 'POST', '/api/v1/tokens', { name: 'to revoke' }), 'token')).body;
    await ok(send(as(A.owner), 'DELETE', `/api/v1/tokens/${revoked.id}`), 'revoke');
    const expired = (await ok(send(as(A.owner), 'POST', '/api/v1/tokens', { name: 'to expire', expires_in_days: 1 }), 'token')).body;
    await t.c.db.kysely.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', expired.id).execute();
    const disabled = await t.user();
    await t.c.db.kysely.updateTable('users').set({ disabled_at: new Date() }).where('id', '=', disabled.id).execute();
    const creds: [string, Cred][] = [
      ['no credentials', null],
      ['junk bearer', { token: 'fh_pat_' + 'x'.repeat(43) }],
      ['not a bearer', { headers: { authorization: `Basic ${Buffer.from(`${A.owner.email}:${PASSWORD}`).toString('base64')}` } }],
      ['empty bearer', { headers: { authorization: 'Bearer ' } }],
      ['revoked token', { token: revoked.token as string }],
      ['expired token', { token: expired.token as string }],
      ["disabled user's token", { token: disabled.token }],
      ['bogus session', { cookie: 'finhub_session=AAAAAAAAAAAAAAAAAAAAAA' }],
    ];
    const failures: string[] = [];
    const before = await snapshot(A);
    for (const key of keys) {
      const c = CASES[key];
      if (!c) {
        failures.push(`${key}: no case`);
        continue;
      }
      const [method, path] = splitKey(key);
      let url: string;
      let payload: unknown;
      if (c.scope === 'ledger') {
        const r = ledgerRequest(key, c, A.ledger, c.id ? idsOf(A, c.id)[0] : undefined, A, A.owner);
        url = r.url;
        payload = r.payload;
      } else {
        const s = c.sample();
        url = s.url ?? path;
        payload = s.payload;
      }
      for (const [label, cred] of creds) {
        const res = await send(cred, method, url, payload);
        if (c.scope === 'public') {
          if (res.body?.code === 'UNAUTHENTICATED') failures.push(`${key} (${label}): public route refused: ${describeRes(res)}`);
        } else {
          const issue = problemIssue(res, 401, 'UNAUTHENTICATED');
          if (issue) failures.push(`${key} (${label}): ${issue}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot(A)).toBe(before);
  });

  it.each(['POST /api/v1/setup', 'POST /api/v1/auth/login', 'POST /api/v1/auth/logout', 'GET /api/v1/auth/me', 'GET /api/v1/tokens', 'POST /api/v1/tokens', 'DELETE /api/v1/tokens/{id}', 'GET /api/v1/users', 'POST /api/v1/users', 'GET /api/v1/ledgers', 'POST /api/v1/ledgers', ...Object.keys(OPS_CASES)])(
    'account-level route %s reveals and changes nothing of A for B, and admin routes are admin-only',
    async (key) => {
      const c = CASES[key];
      expect(c && c.scope !== 'ledger', `${key} is an account-level case`).toBe(true);
      expect(await (c as AccountCase).check()).toEqual([]);
    },
  );

  it('the account-level list above is every account-level case', () => {
    expect(accountCases().map(([k]) => k).sort()).toEqual(
      ['POST /api/v1/setup', 'POST /api/v1/auth/login', 'POST /api/v1/auth/logout', 'GET /api/v1/auth/me', 'GET /api/v1/tokens', 'POST /api/v1/tokens', 'DELETE /api/v1/tokens/{id}', 'GET /api/v1/users', 'POST /api/v1/users', 'GET /api/v1/ledgers', 'POST /api/v1/ledgers', ...Object.keys(OPS_CASES)].sort(),
    );
  });
});

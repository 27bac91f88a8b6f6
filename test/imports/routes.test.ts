// The import API end to end (both engines): real files through the real
// parsers, multipart / raw / JSON uploads, preview -> commit -> undo, errors as
// problem+json with nothing written, CSV mappings saved and reused.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { accountRows, countAll, newBooks, type Books } from './flow-helpers.ts';
import { JANUARY_OFX, multipart, ofx1 } from './fixtures.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ FINHUB_IMPORT_MAX_BYTES: '8192' });
});
afterAll(async () => {
  await t?.close();
});

const url = (b: Books, rest = '') => `/api/v1/ledgers/${b.ledgerId}/imports${rest}`;

async function upload(b: Books, fields: Record<string, string>, file?: { name: string; content: string | Buffer }, query = '') {
  const m = multipart(fields, file);
  return t.req({ method: 'POST', url: url(b) + query, payload: m.payload, headers: { ...m.headers, ...b.user.headers } });
}

function isProblem(r: { status: number; headers: Record<string, unknown>; body: any }, status: number, code: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(r.body.code).toBe(code);
  expect(r.body.request_id).toBe(r.headers['x-request-id']);
}

describe('POST /imports (multipart) -> commit -> undo', () => {
  it('a file with several statements: statement picks one by number or account id, an unknown one is a 422 listing them, and the next upload prefers the account imported before', async () => {
    const b = await newBooks(t);
    const file = { name: 'two.ofx', content: readFileSync(new URL('../fixtures/imports/ofx1-multi-account.ofx', import.meta.url)) };
    const bad = await upload(b, { account_id: b.checking, statement: '7' }, file);
    isProblem(bad, 422, 'IMPORT_STATEMENT_NOT_FOUND');
    expect(bad.body.detail).toMatch(/the file holds 2: 1\) account EMPTY-1 SAVINGS: 0 transactions; 2\) account CHK-2 CHECKING: 2 transactions/);
    expect(await t.c.db.kysely.selectFrom('import_batches').select('id').where('account_id', '=', b.checking).execute()).toEqual([]);
    const second = await upload(b, { account_id: b.checking, statement: 'CHK-2' }, file);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body.statement_account.account_id).toBe('CHK-2');
    expect(second.body.counts.new).toBe(2);
    expect((await t.req({ method: 'POST', url: url(b, `/${second.body.id}/commit`), headers: b.user.headers })).status).toBe(200);
    const first = await upload(b, { account_id: b.checking, statement: '1' }, file);
    expect(first.body.statement_account.account_id).toBe('EMPTY-1');
    expect(first.body.warnings.join(' ')).toMatch(/imported number 1, for account EMPTY-1/);
    // Without a choice: the bank account this finhub account was imported from before.
    const again = await upload(b, { account_id: b.checking }, file);
    expect(again.body.statement_account.account_id).toBe('CHK-2');
    expect(again.body.counts).toMatchObject({ new: 0, duplicate: 2 });
  });

  it('imports a small OFX end to end: preview, commit, re-import adds nothing, undo', async () => {
    const b = await newBooks(t);
    const p = await upload(b, { account_id: b.checking }, { name: 'january.ofx', content: JANUARY_OFX });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    expect(p.body).toMatchObject({
      status: 'previewed', format: 'ofx1', file_name: 'january.ofx', size_bytes: Buffer.byteLength(JANUARY_OFX),
      encoding: { used: 'windows-1252', declared: '1252' },
      statement_account: { bank_id: '121000248', account_id: '999988', type: 'CHECKING', currency: 'USD' },
      counts: { total: 3, new: 3, duplicate: 0, conflict: 0, skipped: 0, pending_replaced: 0 },
      stated_balances: [{ kind: 'closing', amount_minor: 239751, date: '2024-01-31' }],
      balance_check: { status: 'match', basis: 'projected', stated_minor: 239751, finhub_minor: 239751, difference_minor: 0 },
    });
    expect(p.body.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.body.rows[1]).toMatchObject({ index: 1, posted_on: '2024-01-05', amount_minor: 250000, amount: '2500.00', payee: 'ACME PAYROLL', memo: 'salary', bank_id: 'F2', decision: 'new' });
    expect(await accountRows(b, b.checking)).toEqual([]);

    const c = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), headers: b.user.headers });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ status: 'committed', counts: { new: 3 }, balance_check: { status: 'match', basis: 'actual' } });
    expect((await accountRows(b, b.checking)).map((r) => r.imported_id)).toEqual(['F1', 'F2', 'F3']);
    const again = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), headers: b.user.headers });
    isProblem(again, 409, 'CONFLICT');

    const re = await upload(b, { account_id: b.checking }, { name: 'january.ofx', content: JANUARY_OFX });
    expect(re.body.counts).toMatchObject({ new: 0, duplicate: 3 });
    expect(re.body.warnings.join(' ')).toMatch(/already imported/);
    expect((await t.req({ method: 'POST', url: url(b, `/${re.body.id}/commit`), headers: b.user.headers })).body.counts.new).toBe(0);
    expect(await accountRows(b, b.checking)).toHaveLength(3);

    const list = await t.req({ method: 'GET', url: url(b, '?limit=10'), headers: b.user.headers });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: any) => x.id)).toEqual([re.body.id, p.body.id]);
    const rows = await t.req({ method: 'GET', url: url(b, `/${re.body.id}/rows?decision=duplicate&limit=2`), headers: b.user.headers });
    expect(rows.body.items.map((r: any) => r.reason_code)).toEqual(['bank_id', 'bank_id']);
    expect(rows.body.next_cursor).toEqual(expect.any(String));
    const one = await t.req({ method: 'GET', url: url(b, `/${p.body.id}?rows_limit=1`), headers: b.user.headers });
    expect(one.body.rows).toHaveLength(1);

    const u = await t.req({ method: 'DELETE', url: url(b, `/${p.body.id}`), headers: b.user.headers });
    expect(u.status, JSON.stringify(u.body)).toBe(200);
    expect(u.body).toMatchObject({ status: 'undone', undo: { deleted: 3, kept: [] } });
    expect(await accountRows(b, b.checking)).toEqual([]);
  });

  it('accepts a raw octet-stream body with query parameters, and JSON with base64 content', async () => {
    const b = await newBooks(t);
    const csv = 'Date,Amount,Payee\n2024-05-01,-1.00,Kiosk\n2024-05-02,20.50,Refund\n';
    const raw = await t.req({ method: 'POST', url: url(b, `?account_id=${b.savings}&file_name=may.csv&format=csv&rows_limit=1`), payload: Buffer.from(csv), headers: { 'content-type': 'application/octet-stream', ...b.user.headers } });
    expect(raw.status, JSON.stringify(raw.body)).toBe(201);
    expect(raw.body).toMatchObject({ format: 'csv', file_name: 'may.csv', counts: { new: 2 } });
    expect(raw.body.rows).toHaveLength(1);
    expect(raw.body.rows_next_cursor).toEqual(expect.any(String));

    const json = await t.req({ method: 'POST', url: url(b), payload: { account_id: b.card, content_base64: Buffer.from(csv).toString('base64'), file_name: 'may.csv' }, headers: b.user.headers });
    expect(json.status, JSON.stringify(json.body)).toBe(201);
    expect(json.body.counts.new).toBe(2);
  });

  it('links a suggested transfer pair through POST …/transfers', async () => {
    const b = await newBooks(t);
    const sav = await t.c.transactions.create(b.actor, b.ledgerId, { accountId: b.savings, postedOn: '2024-01-10', amountMinor: 5000 });
    const file = ofx1({ rows: [{ date: '2024-01-11', amount: '-50.00', fitid: 'T1', name: 'TRANSFER TO SAVINGS' }] });
    const p = await upload(b, { account_id: b.checking }, { name: 't.ofx', content: file });
    const c = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), payload: {}, headers: b.user.headers });
    expect(c.body.transfer_suggestions).toMatchObject([{ peer_id: sav.id, days_apart: 1, amount_minor: -5000, peer_amount_minor: 5000 }]);
    const l = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/transfers`), payload: { pairs: [{ transaction_id: c.body.transfer_suggestions[0].transaction_id, peer_id: sav.id }] }, headers: b.user.headers });
    expect(l.status, JSON.stringify(l.body)).toBe(200);
    expect(l.body.results[0]).toMatchObject({ linked: true, posted_on: '2024-01-10' });
    const tx = await t.req({ method: 'GET', url: `/api/v1/ledgers/${b.ledgerId}/transactions/${sav.id}`, headers: b.user.headers });
    expect(tx.body.transfer).toMatchObject({ account_id: b.checking, amount_minor: -5000 });
  });
});

describe('errors: problem+json, nothing written', () => {
  it('a malformed file names the line and what was expected', async () => {
    const b = await newBooks(t);
    const before = await countAll(b);
    const broken = 'Date,Amount,Payee\n2024-05-01,-1.00,Kiosk\n2024-05-02,twelve,Refund\n';
    const r = await upload(b, { account_id: b.checking, format: 'csv' }, { name: 'bad.csv', content: broken });
    isProblem(r, 422, 'IMPORT_MALFORMED_FILE');
    expect(r.body.line).toBe(3);
    expect(r.body.expected).toEqual(expect.any(String));
    expect(r.body.format).toBe('csv');
    expect(r.body.detail).toMatch(/line 3/);
    expect(await countAll(b)).toEqual(before);
    expect(await t.c.db.kysely.selectFrom('import_batches').select('id').where('ledger_id', '=', b.ledgerId).execute()).toEqual([]);
  });

  it('an unknown format lists the supported ones', async () => {
    const b = await newBooks(t);
    const r = await upload(b, { account_id: b.checking }, { name: 'x.bin', content: Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 9]) });
    isProblem(r, 422, 'IMPORT_UNSUPPORTED_FORMAT');
    expect(r.body.supported_formats).toEqual(['ofx1', 'ofx2', 'qfx', 'qif', 'camt053', 'csv']);
    const f = await upload(b, { account_id: b.checking, format: 'xls' }, { name: 'x.xls', content: 'a' });
    isProblem(f, 422, 'IMPORT_UNSUPPORTED_FORMAT');
    const q = await t.req({ method: 'POST', url: url(b, `?account_id=${b.checking}&format=pdf`), payload: Buffer.from('%PDF-1.4'), headers: { 'content-type': 'application/octet-stream', ...b.user.headers } });
    isProblem(q, 422, 'IMPORT_UNSUPPORTED_FORMAT');
  });

  it('a file over FINHUB_IMPORT_MAX_BYTES gets 413 on every upload path', async () => {
    const b = await newBooks(t);
    const big = 'Date,Amount,Payee\n' + '2024-05-01,-1.00,Kiosk\n'.repeat(400);
    expect(big.length).toBeGreaterThan(8192);
    isProblem(await upload(b, { account_id: b.checking }, { name: 'big.csv', content: big }), 413, 'IMPORT_FILE_TOO_LARGE');
    isProblem(await t.req({ method: 'POST', url: url(b, `?account_id=${b.checking}`), payload: Buffer.from(big), headers: { 'content-type': 'application/octet-stream', ...b.user.headers } }), 413, 'IMPORT_FILE_TOO_LARGE');
    isProblem(await t.req({ method: 'POST', url: url(b), payload: { account_id: b.checking, content_base64: Buffer.from(big).toString('base64') }, headers: b.user.headers }), 413, 'IMPORT_FILE_TOO_LARGE');
    // Far over the limit: refused while reading the body, with the same code.
    const huge = Buffer.alloc(200_000, 'a');
    isProblem(await t.req({ method: 'POST', url: url(b, `?account_id=${b.checking}`), payload: huge, headers: { 'content-type': 'application/octet-stream', ...b.user.headers } }), 413, 'IMPORT_FILE_TOO_LARGE');
    isProblem(await t.req({ method: 'POST', url: url(b), payload: { account_id: b.checking, content_base64: huge.toString('base64') }, headers: b.user.headers }), 413, 'IMPORT_FILE_TOO_LARGE');
    isProblem(await upload(b, { account_id: b.checking }, { name: 'huge.csv', content: huge }), 413, 'IMPORT_FILE_TOO_LARGE');
  });

  it('an ambiguous CSV asks for a mapping with the detection details; the answer is saved for the account and reused', async () => {
    const b = await newBooks(t);
    const csv1 = 'Date,Amount,Description\n03/04/2024,-1.00,Bus\n04/05/2024,-2.00,Tram\n';
    const r = await upload(b, { account_id: b.checking }, { name: 'a.csv', content: csv1 });
    isProblem(r, 422, 'IMPORT_CSV_MAPPING_REQUIRED');
    expect(r.body.csv.detection.dateFormatCandidates).toEqual(['DMY', 'MDY']);
    expect(r.body.csv.question).toEqual(expect.any(String));

    const bad = await upload(b, { account_id: b.checking, csv: '{"dateFormat":"sometimes"}' }, { name: 'a.csv', content: csv1 });
    isProblem(bad, 400, 'VALIDATION_FAILED');
    const ok = await upload(b, { account_id: b.checking, csv: JSON.stringify({ dateFormat: 'DMY' }) }, { name: 'a.csv', content: csv1 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.rows.map((x: any) => x.posted_on)).toEqual(['2024-04-03', '2024-05-04']);
    expect(ok.body.csv_mapping).toMatchObject({ dateFormat: 'DMY' });
    await t.req({ method: 'POST', url: url(b, `/${ok.body.id}/commit`), headers: b.user.headers });

    // Next month's export of the same bank: no question asked this time.
    const csv2 = 'Date,Amount,Description\n03/06/2024,-3.00,Bus\n04/07/2024,-4.00,Tram\n';
    const next = await upload(b, { account_id: b.checking }, { name: 'b.csv', content: csv2 });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    expect(next.body.rows.map((x: any) => x.posted_on)).toEqual(['2024-06-03', '2024-07-04']);
  });

  it('a file in another currency than the account is refused, naming both', async () => {
    const b = await newBooks(t);
    const r = await upload(b, { account_id: b.checking }, { name: 'eur.ofx', content: ofx1({ currency: 'EUR', rows: [{ date: '2024-01-03', amount: '-1.00', fitid: 'E1', name: 'X' }] }) });
    isProblem(r, 422, 'CURRENCY_MISMATCH');
    expect(r.body.detail).toMatch(/EUR.*USD/);
    expect(r.body).toMatchObject({ file_currency: 'EUR', account_currency: 'USD' });
  });

  it('rejects uploads without an account or a file, foreign accounts, and unknown fields', async () => {
    const b = await newBooks(t);
    const other = await newBooks(t);
    isProblem(await upload(b, {}, { name: 'j.ofx', content: JANUARY_OFX }), 400, 'VALIDATION_FAILED');
    isProblem(await upload(b, { account_id: b.checking }), 400, 'VALIDATION_FAILED');
    const foreign = await upload(b, { account_id: other.checking }, { name: 'j.ofx', content: JANUARY_OFX });
    isProblem(foreign, 400, 'VALIDATION_FAILED');
    expect(foreign.body.errors).toEqual([{ field: '/body/account_id', message: 'no such account in this ledger' }]);
    isProblem(await upload(b, { account_id: b.checking, colour: 'blue' }, { name: 'j.ofx', content: JANUARY_OFX }), 400, 'VALIDATION_FAILED');
    isProblem(await t.req({ method: 'POST', url: url(b), payload: 'hello', headers: { 'content-type': 'text/plain', ...b.user.headers } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('never answers 5xx to mangled files, and a refused upload writes nothing', async () => {
    const b = await newBooks(t);
    const seeds = [Buffer.from(JANUARY_OFX), Buffer.from('Date,Amount,Payee\n2024-05-01,-1.00,Kiosk\n2024-05-02,20.50,Refund\n')];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }), fc.nat({ max: 400 }), async (which, edits, cut) => {
        const bytes = Buffer.from(seeds[which]!);
        for (const [pos, v] of edits) bytes[pos % bytes.length] = v;
        const file = bytes.subarray(0, Math.max(0, bytes.length - cut));
        const before = await countAll(b);
        const r = await t.req({ method: 'POST', url: url(b, `?account_id=${b.checking}&rows_limit=0`), payload: file, headers: { 'content-type': 'application/octet-stream', ...b.user.headers } });
        expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
        if (r.status >= 400) {
          expect(String(r.headers['content-type'])).toMatch(/^application\/problem\+json/);
          expect(await countAll(b)).toEqual(before);
        } else {
          expect(r.status).toBe(201);
          await t.req({ method: 'DELETE', url: url(b, `/${r.body.id}`), headers: b.user.headers });
        }
      }),
      { seed: 424242, numRuns: 60 },
    );
  });

  it('commit with overrides through the API, and 409 for an expired preview', async () => {
    const b = await newBooks(t);
    const p = await upload(b, { account_id: b.checking }, { name: 'j.ofx', content: JANUARY_OFX });
    const bad = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), payload: { overrides: [{ row: 99, action: 'skip' }] }, headers: b.user.headers });
    isProblem(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body.errors[0].field).toBe('/body/overrides/0/row');
    const c = await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), payload: { overrides: [{ row: 0, action: 'skip' }] }, headers: b.user.headers });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.counts).toMatchObject({ new: 2, skipped: 1 });
    expect(c.body.rows[0]).toMatchObject({ decision: 'skipped', proposed: 'new', reason_code: 'override_skip' });
    isProblem(await t.req({ method: 'POST', url: url(b, `/${p.body.id}/commit`), headers: b.user.headers }), 409, 'CONFLICT');

    const p2 = await upload(b, { account_id: b.savings }, { name: 'j.ofx', content: JANUARY_OFX });
    await t.c.db.kysely.updateTable('import_batches').set({ expires_at: new Date(Date.now() - 1) }).where('id', '=', p2.body.id).execute();
    isProblem(await t.req({ method: 'POST', url: url(b, `/${p2.body.id}/commit`), headers: b.user.headers }), 409, 'CONFLICT');
    expect(await accountRows(b, b.savings)).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';
import { generateHousehold } from '../../demo/demo-data.ts';
import { loadHousehold } from '../../demo/demo.loader.ts';
import { loadDemoRates } from '../../fx/demo-rates.ts';
import { loadDemoBudget } from '../../budgets/demo-budget.ts';
import { recordAudit } from '../../ops/audit/audit.repository.ts';
import { AppError } from '../../shared/app-error.ts';
import type { Command } from '../context.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Load a seeded demo household (~30k transactions over 10 years) and print how to log in',
  usage: 'finhub demo [--email demo@finhub.local] [--seed 42] [--years 10] [--scale 1] [--json]',
  needsDb: true,
  options: {
    email: { type: 'string', description: 'demo user email (created if missing; default demo@finhub.local)' },
    seed: { type: 'string', description: 'PRNG seed; the same seed gives the same household (default 42)' },
    years: { type: 'string', description: 'years of history ending 2026-10-31 (default 10)' },
    scale: { type: 'string', description: 'volume multiplier for benchmarks (default 1 ≈ 30k transactions)' },
    json: { type: 'boolean', description: 'machine-readable output' },
  },
  async run(ctx, values) {
    const email = (values.email as string | undefined) ?? 'demo@finhub.local';
    const seed = (values.seed as string | undefined) ?? '42';
    const years = Number(values.years ?? 10);
    const scale = Number(values.scale ?? 1);
    if (!Number.isInteger(years) || years < 1 || years > 50) throw new AppError('VALIDATION_FAILED', '--years must be a whole number from 1 to 50');
    if (!(scale > 0 && scale <= 100)) throw new AppError('VALIDATION_FAILED', '--scale must be a number above 0 and at most 100');
    const c = await ctx.container();

    let user = await c.auth.findUserByEmail(email);
    let password: string | undefined;
    if (!user) {
      password = randomBytes(12).toString('base64url');
      user = await c.auth.createUser(null, { email, password, displayName: 'Demo household' });
    }
    const actor = { userId: user.id, isAdmin: user.is_admin, via: 'cli' as const };
    const started = Date.now();
    const data = generateHousehold({ seed, years, scale });
    const ledger = await c.ledgers.create(actor, { name: `Demo household (seed ${seed})`, baseCurrency: 'USD' });
    const counts = await c.db.kysely.transaction().execute(async (tx) => {
      const r = await loadHousehold(tx, { ledgerId: ledger.id, data });
      // Rates implied by the household's currency exchanges, so budgets and net worth convert (src/fx).
      const fxRates = await loadDemoRates(tx, actor, ledger.id, data, 'USD');
      // A budget for the last three months (src/budgets), so budget vs actual has something to compare.
      await loadDemoBudget(tx, actor, ledger.id, data, 'USD');
      await recordAudit(tx, actor, { action: 'demo.load', entityType: 'ledger', entityId: ledger.id, ledgerId: ledger.id, details: { seed, years, scale, transactions: r.transactions } });
      return { ...r, fxRates };
    });
    const token = await c.auth.createToken(actor, { name: 'demo' });
    const base = `http://${c.config.host.includes(':') ? `[${c.config.host}]` : c.config.host}:${c.config.port}`;
    const result = { ledger_id: ledger.id, email, password: password ?? null, token: token.token, ...counts, seconds: (Date.now() - started) / 1000 };
    if (values.json) {
      ctx.io.out(JSON.stringify(result));
      return 0;
    }
    ctx.io.out(`Loaded demo ledger "${ledger.name}" (${ledger.id}): ${counts.accounts} accounts, ${counts.categories} categories, ${counts.payees} payees, ${counts.transactions} transaction rows, ${counts.fxRates} exchange rates in ${result.seconds.toFixed(1)} s.`);
    ctx.io.out('');
    ctx.io.out(`Log in as ${email}${password ? ` with password ${password}` : ' (existing user; password unchanged)'}:`);
    ctx.io.out(`  curl -c cookies.txt -H 'content-type: application/json' -d '{"email":"${email}","password":"${password ?? '…'}"}' ${base}/api/v1/auth/login`);
    ctx.io.out('Or use this personal access token (shown once):');
    ctx.io.out(`  curl -H 'Authorization: Bearer ${token.token}' '${base}/api/v1/ledgers/${ledger.id}/transactions?limit=5'`);
    ctx.io.out(`API browser: ${base}/api/docs`);
    return 0;
  },
};

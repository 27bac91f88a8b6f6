// Exact currency conversion in integer minor units (docs/budgets.md, "Multi-currency").
// A rate is a decimal text; it is scaled to an integer (×10^12) and every
// conversion is amount × num / den over bigints, rounded once, half away from
// zero. The SQL functions finhub_fx_* (migrations/20261207100000_money.ts) do the
// same arithmetic on numeric integers; test/fx proves they agree.
import { currencyExponent, type CurrencyCode } from '../money/currencies.ts';
import { divRound, minor, MoneyFormatError, type Minor, type Rounding } from '../money/money.ts';

/** Ties go to the larger magnitude, so convert(-x) = -convert(x) (EU Regulation 1103/97 art. 5). */
export const FX_ROUNDING: Rounding = 'half-up';

/** Fractional digits a stored rate may have; rates are scaled by 10^RATE_SCALE. */
export const RATE_SCALE = 12;
const SCALE = 10n ** BigInt(RATE_SCALE);
/** Rates are below 10^12 (whole digits at most 12). */
export const MAX_RATE_WHOLE_DIGITS = 12;

export type FxVia = 'identity' | 'direct' | 'inverse' | 'triangulated';

export interface FxFactor {
  /** converted = round(amount × num / den); both positive. */
  num: bigint;
  den: bigint;
  via: FxVia;
  /** rate_date of each rate used (none for identity, two when triangulated). */
  rateDates: string[];
}

const RATE_TEXT = /^\s*(\d{1,40})(?:\.(\d{1,40}))?\s*$/;

/** "1.0845" -> 1084500000000n (the rate ×10^12). Throws MoneyFormatError for anything but a positive decimal within limits. */
export function parseRate(text: string): bigint {
  const m = RATE_TEXT.exec(text);
  if (!m) throw new MoneyFormatError(`"${text}" is not a decimal rate (digits with an optional "." part, e.g. 1.0845)`);
  const whole = m[1]!.replace(/^0+(?=\d)/, '');
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > RATE_SCALE) throw new MoneyFormatError(`rate "${text.trim()}" has more than ${RATE_SCALE} decimal places`);
  if (whole.length > MAX_RATE_WHOLE_DIGITS) throw new MoneyFormatError(`rate "${text.trim()}" is too large (at most ${MAX_RATE_WHOLE_DIGITS} whole digits)`);
  const scaled = BigInt(whole + frac.padEnd(RATE_SCALE, '0'));
  if (scaled === 0n) throw new MoneyFormatError('a rate must be greater than zero');
  return scaled;
}

/** Canonical text of a rate: "01.084500" -> "1.0845", "2.0" -> "2". */
export function normalizeRate(text: string): string {
  return formatScaledRate(parseRate(text));
}

export function formatScaledRate(scaled: bigint): string {
  const whole = scaled / SCALE;
  const frac = (scaled % SCALE).toString().padStart(RATE_SCALE, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

const pow10 = (e: number) => 10n ** BigInt(e);

/** Factor for a from→to rate ("units of `to` per unit of `from`"). */
export function directFactor(from: CurrencyCode, to: CurrencyCode, rate: string, rateDate = ''): FxFactor {
  return { num: parseRate(rate) * pow10(currencyExponent(to)), den: SCALE * pow10(currencyExponent(from)), via: 'direct', rateDates: rateDate ? [rateDate] : [] };
}

/** Factor for from→to using a to→from rate, exactly inverted. */
export function inverseFactor(from: CurrencyCode, to: CurrencyCode, rateOfToFrom: string, rateDate = ''): FxFactor {
  return { num: SCALE * pow10(currencyExponent(to)), den: parseRate(rateOfToFrom) * pow10(currencyExponent(from)), via: 'inverse', rateDates: rateDate ? [rateDate] : [] };
}

export const IDENTITY: FxFactor = Object.freeze({ num: 1n, den: 1n, via: 'identity', rateDates: [] }) as FxFactor;

/** from→base→to, multiplied exactly (rounded once when applied). */
export function chain(a: FxFactor, b: FxFactor): FxFactor {
  return { num: a.num * b.num, den: a.den * b.den, via: 'triangulated', rateDates: [...a.rateDates, ...b.rateDates] };
}

/** amount × num / den, half away from zero, range-checked (MoneyRangeError outside ±(2^53-1)). */
export function applyFactor(amount: Minor, f: Pick<FxFactor, 'num' | 'den'>): Minor {
  return minor(divRound(amount * f.num, f.den, FX_ROUNDING));
}

/** Converts with one direct rate (from→to). */
export function convertWithRate(amount: Minor, from: CurrencyCode, to: CurrencyCode, rate: string): Minor {
  if (from === to) return amount;
  return applyFactor(amount, directFactor(from, to, rate));
}

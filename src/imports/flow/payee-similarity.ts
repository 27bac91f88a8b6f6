// Payee text comparison for duplicate detection. Bank payee strings carry noise
// ("AMAZON MKTPL*1A2B3C", "POS 1234 WHOLEFDS MKT #102"), so two texts are
// compared after normalising case, accents, punctuation and spacing, by the
// better of token overlap and character-trigram overlap.

/** Lower case, accents removed, anything but letters and digits turned into single spaces. */
export function normalizePayee(text: string | null | undefined): string {
  if (!text) return '';
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export interface PayeeKey {
  norm: string;
  /** Filled on first use: most rows are decided without comparing payees. */
  tokens: Set<string> | undefined;
  trigrams: Set<string> | undefined;
}

// Words banks put in front of every payee; sharing them says nothing about who was paid.
const NOISE = new Set(['pos', 'purchase', 'payment', 'card', 'debit', 'credit', 'visa', 'mastercard', 'transfer', 'online', 'sepa', 'ach', 'the', 'of', 'inc', 'llc', 'ltd', 'gmbh', 'co', 'www', 'com']);

export function payeeKey(text: string | null | undefined): PayeeKey {
  return { norm: normalizePayee(text), tokens: undefined, trigrams: undefined };
}

/** payeeKey with a cache: bank files repeat the same merchant strings many times. */
export function payeeKeyCache(): (text: string | null | undefined) => PayeeKey {
  const cache = new Map<string, PayeeKey>();
  const empty = payeeKey('');
  return (text) => {
    if (!text) return empty;
    let k = cache.get(text);
    if (!k) {
      k = payeeKey(text);
      cache.set(text, k);
    }
    return k;
  };
}

function tokensOf(k: PayeeKey): Set<string> {
  // Tokens that are only digits (store numbers, card suffixes) say little about who was paid either.
  k.tokens ??= new Set(k.norm.split(' ').filter((t) => t.length > 0 && !/^\d+$/.test(t) && !NOISE.has(t)));
  return k.tokens;
}

function trigramsOf(k: PayeeKey): Set<string> {
  if (k.trigrams) return k.trigrams;
  const s = new Set<string>();
  const compact = ` ${[...tokensOf(k)].join(' ')} `;
  for (let i = 0; i + 3 <= compact.length; i++) s.add(compact.slice(i, i + 3));
  k.trigrams = s;
  return s;
}

/**
 * 0..1. 1 when the normalised texts are equal; otherwise the larger of
 * token overlap (shared tokens / tokens of the shorter text, so "Amazon" ~
 * "AMAZON MKTPL 1A2B") and trigram Jaccard (so "WHOLEFDS" ~ "Whole Foods").
 * 0 when either side is empty.
 */
export function payeeSimilarity(a: PayeeKey, b: PayeeKey): number {
  if (a.norm === '' || b.norm === '') return 0;
  if (a.norm === b.norm) return 1;
  const wa = tokensOf(a);
  const wb = tokensOf(b);
  let shared = 0;
  for (const t of wa) if (wb.has(t)) shared++;
  const minTokens = Math.min(wa.size, wb.size);
  const tokenScore = minTokens === 0 ? 0 : shared / minTokens;
  if (tokenScore >= 1) return 0.99;
  const ta = trigramsOf(a);
  const tb = trigramsOf(b);
  let inter = 0;
  for (const g of ta) if (tb.has(g)) inter++;
  const union = ta.size + tb.size - inter;
  const tri = union === 0 ? 0 : inter / union;
  return Math.min(0.99, Math.max(tokenScore, tri));
}

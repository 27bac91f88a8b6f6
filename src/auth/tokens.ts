// Session and API tokens: 128 bits (sessions) / 256 bits (API tokens) from the
// CSPRNG, shown to the user once, stored only as SHA-256 hex. A database leak
// therefore reveals no usable token.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'finhub_session';
export const TOKEN_PREFIX = 'fh_pat_';
export const SETUP_PREFIX = 'fh_setup_';

export const newSessionToken = (): string => randomBytes(16).toString('base64url');
export const newApiToken = (): string => TOKEN_PREFIX + randomBytes(32).toString('base64url');
export const newSetupToken = (): string => SETUP_PREFIX + randomBytes(24).toString('base64url');
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

// argon2id with the OWASP Password Storage Cheat Sheet baseline:
// m = 19 MiB (19456 KiB), t = 2, p = 1. @node-rs/argon2 ships prebuilt binaries.
import { hash, verify } from '@node-rs/argon2';

export const ARGON2_PARAMS = { algorithm: 2 /* Argon2id */, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => hash(password, ARGON2_PARAMS);

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the email is unknown so timing does not reveal accounts. */
let dummy: Promise<string> | undefined;
export const dummyHash = (): Promise<string> => (dummy ??= hashPassword('finhub-timing-equaliser'));

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 1024;

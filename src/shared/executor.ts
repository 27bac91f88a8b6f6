import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

/** Repositories take this as their first argument: the db or an open transaction. The caller owns the transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

// Every migration, by timestamped name. Listed statically so the migrator does
// not depend on reading a directory (works the same from source or a bundle).
import type { Migration } from 'kysely';
import * as m20261123000000 from './20261123000000_foundation.ts';

export const migrations: Record<string, Migration> = {
  '20261123000000_foundation': m20261123000000,
};

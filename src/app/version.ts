// The package version, read once from package.json (cheap to import: the CLI
// prints it without loading the application).
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

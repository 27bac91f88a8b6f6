// Worker-thread entry for the parser fuzz campaign: registers the TypeScript
// loader (the worker does not inherit vitest's or tsx's transform), then runs
// the campaign body.
import { register } from 'tsx/esm/api';

register();
await import('./parser-fuzz-work.ts');

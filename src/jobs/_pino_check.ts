import pino from 'pino';
import type { JobLogger } from './worker.ts';
const l: JobLogger = pino();
void l;

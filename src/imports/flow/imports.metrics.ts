// Import metrics, registered on the container's registry. Label values are
// bounded: formats are the six IMPORT_FORMATS plus "unknown", outcomes and
// decisions are fixed lists.
import { Counter, type Registry } from 'prom-client';
import { IMPORT_FORMATS, type ImportFormat } from '../statement.ts';

export type ImportOutcome = 'previewed' | 'committed' | 'undone' | 'discarded' | 'rejected';

export function createImportMetrics(registry: Registry) {
  const imports = new Counter({
    name: 'finhub_imports_total',
    help: 'Statement imports by file format and outcome (previewed, committed, undone, discarded, rejected = the file was refused).',
    labelNames: ['format', 'outcome'] as const,
    registers: [registry],
  });
  const rows = new Counter({
    name: 'finhub_import_rows_total',
    help: 'Statement rows of committed imports by decision (new, duplicate, conflict, skipped, replace_pending).',
    labelNames: ['decision'] as const,
    registers: [registry],
  });
  return {
    imported(format: string | null | undefined, outcome: ImportOutcome) {
      const f = format && (IMPORT_FORMATS as readonly string[]).includes(format) ? (format as ImportFormat) : 'unknown';
      imports.inc({ format: f, outcome });
    },
    rows(counts: Record<string, number>) {
      for (const [decision, n] of Object.entries(counts)) if (n > 0) rows.inc({ decision }, n);
    },
  };
}

export type ImportMetrics = ReturnType<typeof createImportMetrics>;

// CLI commands of issue 6, part "reports" (registered in src/cli/main.ts).
import type { Command } from '../context.ts';

export const REPORTS_COMMANDS: Command[] = [];

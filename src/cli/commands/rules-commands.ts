// CLI commands of issue 6, part "rules" (registered in src/cli/main.ts).
import type { Command } from '../context.ts';

export const RULES_COMMANDS: Command[] = [];

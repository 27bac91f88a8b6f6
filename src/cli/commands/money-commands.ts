// CLI commands of issue 6, part "money" (registered in src/cli/main.ts).
import type { Command } from '../context.ts';

export const MONEY_COMMANDS: Command[] = [];

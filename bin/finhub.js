#!/usr/bin/env node
// Entry point for the `finhub` command. The sources are TypeScript; tsx compiles
// them on load so a fresh clone runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

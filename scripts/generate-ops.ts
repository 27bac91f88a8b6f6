// Writes the Prometheus rules and Grafana dashboards generated from ops/slo.yaml.
//   node bin/run-ts.js scripts/generate-ops.ts          write them
//   node bin/run-ts.js scripts/generate-ops.ts --check  exit 1 (listing the files) when a committed file differs
//   --root DIR  work on another checkout (tests use it on a scratch copy)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedOpsFiles } from '../src/ops/slo/files.ts';
import { loadSloSpec, SloSpecError } from '../src/ops/slo/spec.ts';

let check = false;
let root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--check') check = true;
  else if (args[i] === '--root' && args[i + 1] !== undefined) root = args[++i] as string;
  else {
    console.error('usage: generate-ops.ts [--check] [--root DIR]');
    process.exit(2);
  }
}

let files;
try {
  files = generatedOpsFiles(loadSloSpec(join(root, 'ops/slo.yaml')));
} catch (e) {
  console.error(e instanceof SloSpecError ? e.message : e);
  process.exit(1);
}

const stale: string[] = [];
for (const f of files) {
  const path = join(root, f.path);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === f.content) continue;
  if (check) {
    stale.push(f.path);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
    console.log(`wrote ${f.path}`);
  }
}
if (check && stale.length > 0) {
  console.error(`these files differ from what ops/slo.yaml generates (run: npm run ops:generate):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
if (check) console.log(`ops files up to date (${files.length} checked)`);

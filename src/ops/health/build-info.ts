// Which commit is running: FINHUB_COMMIT, else the HEAD of a .git directory in
// the install directory, read once (never a git call at request time).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INSTALL_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const HEX = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** Resolves HEAD in a .git directory (a ref file, packed-refs, or a detached id). */
export function readGitHead(root: string): string | undefined {
  try {
    let gitDir = join(root, '.git');
    if (!existsSync(gitDir)) return undefined;
    // A worktree or submodule has a .git file pointing at the real directory.
    if (statSync(gitDir).isFile()) {
      const m = /^gitdir:\s*(.+)\s*$/m.exec(readFileSync(gitDir, 'utf8'));
      if (!m) return undefined;
      gitDir = join(root, m[1]!.trim());
    }
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    if (HEX.test(head)) return head;
    const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
    if (!ref) return undefined;
    const refFile = join(gitDir, ref);
    if (existsSync(refFile)) {
      const id = readFileSync(refFile, 'utf8').trim();
      return HEX.test(id) ? id : undefined;
    }
    const packed = join(gitDir, 'packed-refs');
    if (!existsSync(packed)) return undefined;
    for (const line of readFileSync(packed, 'utf8').split('\n')) {
      const [id, name] = line.trim().split(/\s+/);
      if (name === ref && id && HEX.test(id)) return id;
    }
  } catch {
    // An unreadable .git is the same as none.
  }
  return undefined;
}

let fromGit: { value: string | undefined } | undefined;

/** The configured commit, or the install directory's git HEAD (read on first call, then cached). */
export function commitOf(config: { commit: string | undefined }): string | undefined {
  if (config.commit) return config.commit;
  fromGit ??= { value: readGitHead(INSTALL_DIR) };
  return fromGit.value;
}

/** In-process runs of dk tools against the committed fake /proc trees. */
import { fileURLToPath } from 'node:url';
import { runPs } from '../../src/ps/run.js';
import { runPstree } from '../../src/pstree/run.js';

/** test/fixtures/NAME (compiled tests live in dist/test, fixtures stay in test/) */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
}

export const BASIC_NOW = 1795600000 + 1000;

/** /dev/pts/N exists in every fixture tree as major 136, minor N. */
const statDevice = (path: string): { major: number; minor: number } | undefined => {
  const m = /\/pts\/([0-9]+)$/.exec(path);
  return m ? { major: 136, minor: Number(m[1]) } : undefined;
};

export interface Run {
  code: number;
  out: string;
  err: string;
}

export function psOn(name: string, argv: string[], env: NodeJS.ProcessEnv = { LANG: 'C.UTF-8' }, opts: { euid?: number; columns?: number } = {}): Run {
  let out = '';
  let err = '';
  const code = runPs(argv, {
    write: (s) => (out += s),
    error: (s) => (err += s),
    env,
    tty: opts.columns ? { columns: opts.columns, rows: 24 } : undefined,
    procRoot: `${fixture(name)}/proc`,
    devRoot: `${fixture(name)}/dev`,
    statDevice,
    euid: opts.euid ?? 1000,
    now: BASIC_NOW,
  });
  return { code, out, err };
}

export function pstreeOn(name: string, argv: string[], env: NodeJS.ProcessEnv = {}, columns?: number): Run {
  let out = '';
  let err = '';
  const code = runPstree(argv, {
    write: (s) => (out += s),
    error: (s) => (err += s),
    env,
    tty: columns ? { columns } : undefined,
    procRoot: `${fixture(name)}/proc`,
  });
  return { code, out, err };
}

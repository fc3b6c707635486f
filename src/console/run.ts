/**
 * dk console [--listen ADDR:PORT] [--users FILE] [--state-dir DIR]... [--db FILE]
 *            [--tls-cert F --tls-key F] [--control SOCK]
 * dk console passwd --users FILE USER [--role admin|viewer]
 *
 * The web console: processes, services, logs and network daemons, live.
 * Loopback only unless TLS is given; no root needed (actions on processes
 * are the kernel's decision for the console's uid, actions on services
 * dk init's).
 */
import * as fs from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { runDaemon, type DaemonCore } from '../daemon/runtime.js';
import { Daemons } from './server/daemons.js';
import { Hub } from './server/hub.js';
import { routes } from './server/http.js';
import { ProcessTable } from './server/processes.js';
import { Sampler } from './server/sampler.js';
import { Sessions } from './server/sessions.js';
import { CONSOLE_HELP } from './help.js';
import { hashPassword, loadUsers, setUser, validUserName, type Role } from './server/users.js';

export interface ConsoleIO {
  write(s: string): void;
  error(s: string): void;
}

const LOOPBACK = (h: string) => h === 'localhost' || /^127\./.test(h) || h === '::1';

function defaultUsers(stateDir: string | undefined): string {
  if (stateDir) return join(stateDir, 'console.users');
  return process.getuid?.() === 0 ? '/etc/dk/console.users' : join(homedir(), '.config', 'dk', 'console.users');
}

export async function runConsole(argv: string[], io: ConsoleIO): Promise<number> {
  if (argv[0] === 'passwd') return passwd(argv.slice(1), io);
  let listen = '127.0.0.1:9090';
  let users: string | undefined;
  const stateDirs: string[] = [];
  let db: string | undefined;
  let cert: string | undefined;
  let key: string | undefined;
  let control: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    try {
      if (a === '--listen') listen = v();
      else if (a === '--users') users = resolve(v());
      else if (a === '--state-dir') stateDirs.push(resolve(v()));
      else if (a === '--db') db = resolve(v());
      else if (a === '--tls-cert') cert = resolve(v());
      else if (a === '--tls-key') key = resolve(v());
      else if (a === '--control') control = resolve(v());
      else if (a === '-h' || a === '--help') {
        io.write(CONSOLE_HELP);
        return 0;
      } else throw new Error(`unknown option '${a}' (see 'dk console --help')`);
    } catch (e) {
      io.error(`dk console: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const host = m ? (m[1] ?? m[2]) : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (!isIP(host) && host !== 'localhost')) {
    io.error(`dk console: --listen takes ADDRESS:PORT (like 127.0.0.1:9090 or [::1]:9090), not '${listen}'\n`);
    return 1;
  }
  if ((cert === undefined) !== (key === undefined)) {
    io.error('dk console: --tls-cert and --tls-key go together\n');
    return 1;
  }
  const secure = cert !== undefined;
  if (!LOOPBACK(host) && !secure) {
    io.error(
      `dk console: refusing to listen on ${host} without TLS: passwords and session cookies would cross the network in clear (give --tls-cert and --tls-key, or listen on 127.0.0.1)\n`,
    );
    return 1;
  }
  const usersFile = users ?? defaultUsers(stateDirs[0]);
  const loaded = loadUsers(usersFile);
  for (const p of loaded.problems) io.error(`dk console: ${p.file}:${p.line}: ${p.reason}\n`);
  if (!loaded.users.length) io.error(`dk console: no users in ${usersFile} yet: add one with 'dk console passwd --users ${usersFile} NAME'\n`);

  const log = (line: string) => io.error(`${line}\n`);
  const sessions = new Sessions();
  const sampler = new Sampler();
  const table = new ProcessTable();
  const daemons = new Daemons(stateDirs, db);
  let app: import('fastify').FastifyInstance | undefined;
  let hub: Hub | undefined;
  let url = '';
  const core: DaemonCore<{ url: string; sessions: number; secure: boolean; users: string }> = {
    name: 'console',
    check: () => loadUsers(usersFile).problems.map((p) => `${p.file}:${p.line}: ${p.reason}`),
    async start() {
      // fastify is loaded only by the command that serves pages (a require: the CLI bundle runs in vm.Script)
      const Fastify = loadFastify();
      app = Fastify({
        logger: false,
        bodyLimit: 16 * 1024,
        ...(secure ? { https: { cert: fs.readFileSync(cert!), key: fs.readFileSync(key!) } } : {}),
      });
      const assets = join(dirname(process.argv[1] ?? '.'), 'console');
      if (!fs.existsSync(join(assets, 'index.html'))) throw new Error(`the page is not built (${assets}/index.html is missing: npm run build)`);
      routes(app, { sessions, usersFile, assets, daemons, sampler, table, secure, procRoot: '/proc', log });
      hub = new Hub({ sessions, sampler, table, daemons, secure, log });
      hub.attach(app.server);
      sampler.start();
      await app.listen({ host, port });
      const a = app.server.address();
      const bound = typeof a === 'object' && a ? a.port : port;
      url = `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}/`;
      log(`dk console: listening on ${url}`);
      if (process.getuid?.() === 0) {
        log(
          'dk console: running as root: signals and renice from the page act on every process; run it as an ordinary user to let the kernel refuse what that user may not do',
        );
      }
    },
    reload: async () => {
      const p = loadUsers(usersFile).problems.map((x) => `${x.file}:${x.line}: ${x.reason}`);
      return { ok: p.length === 0, problems: p };
    },
    async stop() {
      sampler.stop();
      hub?.close();
      await app?.close();
    },
    status: () => ({ url, sessions: sessions.size, secure, users: usersFile }),
    summary: (s) => `${s.url || 'starting'}, ${s.sessions} sessions`,
  };
  return runDaemon(core, {
    foreground: true,
    foregroundArgv: ['console', ...argv],
    // not the daemons' 1 MB young generation: a thousand rows a second would be scavenged several times a tick
    nodeFlags: [],
    control,
    stateDir: stateDirs[0] ? join(stateDirs[0], 'console') : undefined,
    log,
    error: io.error,
  });
}

declare const require: NodeJS.Require | undefined;

function loadFastify(): typeof import('fastify').default {
  const req = typeof require === 'function' ? require : createRequire(import.meta.url);
  return req('fastify') as typeof import('fastify').default;
}

async function passwd(argv: string[], io: ConsoleIO): Promise<number> {
  let users: string | undefined;
  let role: Role | undefined;
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--users') users = argv[++i];
    else if (a === '--role') {
      const r = argv[++i];
      if (r !== 'admin' && r !== 'viewer') {
        io.error(`dk console passwd: --role is admin or viewer, not '${r ?? ''}'\n`);
        return 1;
      }
      role = r;
    } else if (!a.startsWith('-') && name === undefined) name = a;
    else {
      io.error(`dk console passwd: unexpected '${a}' (dk console passwd [--users FILE] USER [--role admin|viewer])\n`);
      return 1;
    }
  }
  if (!name || !validUserName(name)) {
    io.error(`dk console passwd: ${name ? `'${name}' is not a user name (letters, digits, . _ -)` : 'which user?'}\n`);
    return 1;
  }
  const file = resolve(users ?? defaultUsers(undefined));
  const password = await readPassword(io);
  if (password.length < 8) {
    io.error('dk console passwd: the password must be at least 8 characters\n');
    return 1;
  }
  const existing = loadUsers(file).users.find((u) => u.name === name);
  try {
    fs.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    setUser(file, { name, role: role ?? existing?.role ?? 'admin', hash: hashPassword(password) });
  } catch (e) {
    io.error(`dk console passwd: ${(e as Error).message}\n`);
    return 1;
  }
  io.write(`dk console: ${existing ? 'changed the password of' : 'added'} ${name} (${role ?? existing?.role ?? 'admin'}) in ${file}\n`);
  return 0;
}

/** The password: one line of stdin, or asked on the terminal without echo. */
function readPassword(io: ConsoleIO): Promise<string> {
  if (!process.stdin.isTTY) {
    return new Promise((done) => {
      const rl = createInterface({ input: process.stdin, terminal: false });
      let got = '';
      rl.once('line', (l) => {
        got = l;
        rl.close();
      });
      rl.once('close', () => done(got));
    });
  }
  io.error('Password: ');
  return new Promise((done) => {
    let text = '';
    process.stdin.setRawMode(true);
    process.stdin.resume();
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          process.stdin.setRawMode(false);
          process.stdin.pause();
          process.stdin.off('data', onData);
          io.error('\n');
          return done(text);
        }
        if (ch === '\u0003') {
          process.stdin.setRawMode(false);
          io.error('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    process.stdin.on('data', onData);
  });
}

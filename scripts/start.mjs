// npm start: boots daemonkit's userland (examples/userland) under dk init as
// a child subreaper — dk syslogd, dk inetd, dk rpcbind, dk update — with
// every socket and file in a state directory inside the repo (state/userland;
// DK_USERLAND_STATE elsewhere) and only loopback high ports (DK_USERLAND_PORTS=auto:
// any free ones). Prints what runs and how to try it, then runs until Ctrl-C,
// which stops everything in order.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const DK = join(root, 'dist', 'dk.cjs');
const STATE = process.env.DK_USERLAND_STATE ?? join(root, 'state', 'userland');
const EXAMPLE = join(root, 'examples', 'userland');
const DEFAULTS = { SYSLOG_PORT: 10514, RPCBIND_PORT: 10111, ECHO_PORT: 10007, DAYTIME_PORT: 10013, CHARGEN_PORT: 10019, TIME_PORT: 10037, CONSOLE_PORT: 10090 };

/** true when both TCP and UDP on 127.0.0.1:port are free */
async function free(port) {
  const tcp = await new Promise((r) => {
    const s = net
      .createServer()
      .once('error', () => r(false))
      .listen(port, '127.0.0.1', () => s.close(() => r(true)));
  });
  if (!tcp) return false;
  return new Promise((r) => {
    const s = dgram.createSocket('udp4').once('error', () => r(false));
    s.bind(port, '127.0.0.1', () => s.close(() => r(true)));
  });
}

async function anyFree(taken) {
  for (;;) {
    const port = await new Promise((r) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => r(p));
      });
    });
    if (!taken.has(port) && (await free(port))) return port;
  }
}

async function ports() {
  const out = {};
  const taken = new Set();
  for (const [k, p] of Object.entries(DEFAULTS)) {
    out[k] = process.env.DK_USERLAND_PORTS !== 'auto' && (await free(p)) ? p : await anyFree(taken);
    taken.add(out[k]);
  }
  return out;
}

function render(values) {
  fs.rmSync(join(STATE, 'units'), { recursive: true, force: true });
  fs.mkdirSync(join(STATE, 'units'), { recursive: true });
  const fill = (text) => text.replace(/@([A-Z_]+)@/g, (m, k) => String(values[k] ?? m));
  for (const f of fs.readdirSync(join(EXAMPLE, 'units'))) fs.writeFileSync(join(STATE, 'units', f), fill(fs.readFileSync(join(EXAMPLE, 'units', f), 'utf8')));
  for (const f of ['syslog.conf', 'inetd.conf', 'services']) fs.writeFileSync(join(STATE, f), fill(fs.readFileSync(join(EXAMPLE, f), 'utf8')));
}

const p = await ports();
render({ ...p, NODE: process.execPath, DK, STATE, USER: userInfo().username });
// what the example's units install themselves into, enabled as systemctl enable would (links in multi-user.target.wants/)
{
  const units = join(STATE, 'units');
  const names = fs.readdirSync(units).filter((n) => /^\[Install\]/m.test(fs.readFileSync(join(units, n), 'utf8')));
  const en = spawnSync(process.execPath, [DK, 'initctl', '--units', units, 'enable', ...names], { encoding: 'utf8' });
  if (en.status !== 0) {
    console.error(en.stderr);
    process.exit(1);
  }
}

// the console's first admin: a random password, kept 0600 next to the users file
const USERS = join(STATE, 'console.users');
const PASSWORD_FILE = join(STATE, 'console-admin.password');
if (!fs.existsSync(USERS)) {
  const password = randomBytes(15).toString('base64url');
  const r = spawnSync(process.execPath, [DK, 'console', 'passwd', '--users', USERS, 'admin', '--role', 'admin'], { input: `${password}\n`, encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stderr);
    process.exit(1);
  }
  fs.writeFileSync(PASSWORD_FILE, `${password}\n`, { mode: 0o600 });
}
const initDir = join(STATE, 'init');
const control = join(initDir, 'control.sock');
const init = spawn(process.execPath, [DK, 'init', '--units', join(STATE, 'units'), '--state-dir', initDir, '--syslog-socket', join(STATE, 'log.sock')], {
  stdio: ['ignore', 'inherit', 'pipe'],
});
let booted = false;
let text = '';
init.stderr.on('data', (b) => {
  process.stderr.write(b);
  text += b;
  if (!booted && /multi-user\.target reached/.test(text)) {
    booted = true;
    show();
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => init.kill('SIGTERM'));
init.on('exit', (code, signal) => {
  console.log(`\ndk init ended (${signal ?? `status ${code}`}); the state stays in ${STATE}`);
  process.exit(code ?? 1);
});

function show() {
  const r = spawnSync(process.execPath, [DK, 'initctl', '--control', control, '--json', 'list'], { encoding: 'utf8' });
  const units = JSON.parse(r.stdout).units;
  const ends = {
    'syslogd.service': [`unix ${STATE}/log.sock`, `udp 127.0.0.1:${p.SYSLOG_PORT}`, `tcp 127.0.0.1:${p.SYSLOG_PORT}`],
    'inetd.service': [
      `echo tcp+udp 127.0.0.1:${p.ECHO_PORT}`,
      `daytime tcp 127.0.0.1:${p.DAYTIME_PORT}`,
      `chargen tcp 127.0.0.1:${p.CHARGEN_PORT}`,
      `time tcp 127.0.0.1:${p.TIME_PORT}`,
    ],
    'rpcbind.service': [`udp+tcp 127.0.0.1:${p.RPCBIND_PORT}`, `unix ${STATE}/rpcbind.sock`],
    'update.service': ['sync(2) every 30 s'],
    'console.service': [`http://127.0.0.1:${p.CONSOLE_PORT}/`],
  };
  const rows = units.filter((u) => u.kind === 'service').map((u) => [u.name, u.state, u.pid ? String(u.pid) : '-', (ends[u.name] ?? []).join(', ')]);
  const w = [0, 1, 2].map((i) => Math.max(...[['SERVICE', 'STATE', 'PID'][i], ...rows.map((r) => r[i])].map((x) => x.length)));
  console.log('\ndaemonkit userland is up:\n');
  for (const r of [['SERVICE', 'STATE', 'PID', 'ENDPOINTS'], ...rows])
    console.log(`  ${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2].padStart(w[2])}  ${r[3]}`);
  const dk = `node ${DK}`;
  console.log(`
The web console: http://127.0.0.1:${p.CONSOLE_PORT}/  (user admin, password in ${PASSWORD_FILE})

Try:
  ${dk} logger -u ${STATE}/log.sock -t demo "hello from the userland"
  ${dk} logs --db ${STATE}/logs.db -f
  nc 127.0.0.1 ${p.ECHO_PORT}            (echo; also: nc -u 127.0.0.1 ${p.ECHO_PORT})
  nc 127.0.0.1 ${p.DAYTIME_PORT}            (daytime)
  ${dk} rpcinfo --port ${p.RPCBIND_PORT} -p 127.0.0.1
  ${dk} status --state-dir ${STATE}      (every daemon: PID, memory, key figures, last log lines)
  ${dk} status --state-dir ${STATE} syslogd --route mail.err
  ${dk} initctl --control ${control} list
  ${dk} ps --daemons; ${dk} pstree -p ${init.pid}

Ctrl-C stops everything.`);
}

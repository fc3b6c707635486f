// dk console: with ~1000 extra sleeping processes, headless Chromium watches
// the Processes page for 30 s while procps `top -b -d 1 -n 30` runs in the same
// 30 s; the console server's CPU time against top's. Then the first load (bytes
// on the wire, gzip, and the time until the login form is there) and a filtered
// page of logs on the 10-million-row store of `bench logs` (server time).
// Targets: CPU <= 1.0x top; first load <= 150 KB and <= 500 ms; logs <= 100 ms.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withSleepers } from './ps.mjs';

const DK = fileURLToPath(new URL('../dist/dk.cjs', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const SECONDS = Number(process.env.CONSOLE_BENCH_SECONDS ?? 30);
const PASSWORD = 'bench-password-1';

/** utime + stime of a process, in seconds (USER_HZ 100) */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function startConsole(dir, extra = []) {
  const users = join(dir, 'users');
  const r = spawnSync(process.execPath, [DK, 'console', 'passwd', '--users', users, 'admin'], { input: `${PASSWORD}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const c = spawn(process.execPath, [DK, 'console', '--listen', '127.0.0.1:0', '--users', users, '--control', join(dir, 'c.sock'), ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  c.stderr.on('data', (b) => (err += b));
  const end = Date.now() + 20000;
  while (!/listening on (http:\S+)/.test(err)) {
    if (Date.now() > end || c.exitCode !== null) throw new Error(`dk console: ${err}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  const url = /listening on (http:\S+)/.exec(err)[1];
  return { child: c, url, origin: url.replace(/\/$/, '') };
}

async function login(con) {
  const r = await fetch(`${con.url}api/login`, {
    method: 'POST',
    headers: { origin: con.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'admin', password: PASSWORD }),
  });
  return (r.headers.get('set-cookie') ?? '').split(';')[0];
}

export default async function () {
  if (!existsSync(CHROMIUM)) {
    console.log('console: skipped, /usr/bin/chromium is missing (apt-get install chromium)');
    return;
  }
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'dk-bench-console-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await withSleepers(async () => {
      const con = await startConsole(dir);
      try {
        // first load: what crosses the wire, and when the page can be used
        let bytes = 0;
        for (const p of ['', 'app.js', 'app.css']) {
          const r = await fetch(`${con.url}${p}`, { headers: { 'accept-encoding': 'gzip' } });
          bytes += Number(r.headers.get('content-length') ?? (await r.arrayBuffer()).byteLength);
        }
        const loads = [];
        for (let i = 0; i < 5; i++) {
          const page = await (await browser.newContext()).newPage();
          const t0 = Date.now();
          await page.goto(con.url);
          await page.waitForSelector('form.login button');
          loads.push(Date.now() - t0);
          await page.context().close();
        }
        loads.sort((a, b) => a - b);
        console.log(`console first load: ${(bytes / 1024).toFixed(1)} KB gzip (target 150), login form after ${loads[2]} ms median of 5 (target 500)`);

        // the Processes page watched for SECONDS, against top in the same seconds
        const page = await (await browser.newContext()).newPage();
        await page.goto(con.url);
        await page.fill('input[name=user]', 'admin');
        await page.fill('input[name=password]', PASSWORD);
        await page.click('button[type=submit]');
        await page.waitForSelector('nav');
        await page.goto(`${con.url}#/processes`);
        await page.waitForSelector('tr[data-pid="1"]');
        const c0 = cpuOf(con.child.pid);
        const top = spawnSync('bash', ['-c', `top -b -d 1 -n ${SECONDS} > /dev/null; times`], { encoding: 'utf8' });
        const ours = cpuOf(con.child.pid) - c0;
        const [, kids] = top.stdout.trim().split('\n');
        const [u, s] = kids.split(/\s+/).map((x) => {
          const m = /(\d+)m([\d.]+)s/.exec(x);
          return Number(m[1]) * 60 + Number(m[2]);
        });
        const peer = u + s;
        const rows = await page.locator('tbody tr').count();
        console.log(
          `console Processes page ${SECONDS} s (${rows} rows shown): ours ${ours.toFixed(2)} s CPU, peer top -d 1 ${peer.toFixed(2)} s CPU, ratio ${(ours / peer).toFixed(2)} (target <= 1.0)`,
        );
        // nobody watching: the console reads nothing
        await page.context().close();
        await new Promise((r) => setTimeout(r, 1500));
        const idle0 = cpuOf(con.child.pid);
        await new Promise((r) => setTimeout(r, 5000));
        console.log(`console with no page open: ${(cpuOf(con.child.pid) - idle0).toFixed(2)} s CPU in 5 s (the overview sampler only)`);
      } finally {
        con.child.kill('SIGTERM');
      }
    });

    // a filtered page of logs on the store of `bench logs`, if it was made
    const rowsTotal = Number(process.env.LOGS_BENCH_ROWS ?? 10_000_000);
    const db = join(tmpdir(), `dk-bench-logs-${rowsTotal}.db`);
    if (!existsSync(db)) {
      console.log(`console logs: skipped, ${db} is missing (npm run bench -- logs console makes it first)`);
      return;
    }
    const con = await startConsole(dir, ['--db', db]);
    try {
      const cookie = await login(con);
      for (const [name, q] of [
        ['tag+priority', 'tag=app7&priority=err&limit=200'],
        ['host', 'host=host3&limit=200'],
        ['newest', 'limit=200'],
        // the middle of the store, as the generator of bench logs numbers it (row id x+1 received at BASE + 30x)
        ['page back', `tag=app7&before=${Date.UTC(2026, 10, 20) + 4_999_999 * 30}:5000000&limit=200`],
      ]) {
        const ms = [];
        for (let i = 0; i < 7; i++) {
          const r = await fetch(`${con.url}api/logs?${q}`, { headers: { cookie } });
          const body = await r.json();
          if (!r.ok || body.rows.length !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(body).slice(0, 200)}`);
          ms.push(body.ms);
        }
        ms.sort((a, b) => a - b);
        console.log(`console logs ${name} on ${rowsTotal} rows: ${ms[3].toFixed(1)} ms server time, median of 7 (target 100)`);
      }
    } finally {
      con.child.kill('SIGTERM');
    }
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

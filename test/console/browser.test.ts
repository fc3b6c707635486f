/**
 * dk console in real Chromium (Debian's, driven by playwright-core): log
 * in, see a sleep the test started, end it with TERM from its page, stop
 * and start a unit, watch a logger line arrive live and a priority filter
 * hide it, and a viewer who cannot act. A screenshot of every page goes to
 * $DK_SCREENSHOTS (kept) or a temp dir (removed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { until } from '../helpers/children.js';
import { PASSWORDS, startConsoleLab, type ConsoleLab } from '../helpers/console.js';
import { dk } from '../helpers/dk.js';
import { which } from '../helpers/peers.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = which('chromium') ? undefined : "peer 'chromium' is missing: install the Debian package chromium";
if (missing && process.env.CI === 'true') throw new Error(missing);

describe('dk console in Chromium', { skip: missing, timeout: 180_000 }, () => {
  let lab: ConsoleLab;
  let browser: Browser;
  const keep = process.env.DK_SCREENSHOTS;
  const shots = keep ?? mkdtempSync(join(tmpdir(), 'dk-console-shots-'));
  const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

  before(async () => {
    if (keep) mkdirSync(keep, { recursive: true });
    lab = await startConsoleLab();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await lab?.close();
    if (!keep) rmSync(shots, { recursive: true, force: true });
  });

  async function loggedIn(user: keyof typeof PASSWORDS): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(lab.url);
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', PASSWORDS[user]);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav');
    return page;
  }

  test('a wrong password is said on the login page', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(lab.url);
    await shot(page, 'login');
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    await page.waitForSelector('.error');
    assert.equal(await page.textContent('.error'), 'wrong user or password');
  });

  test('overview and network pages show the machine and the daemons', async () => {
    const page = await loggedIn('admin');
    await page.waitForSelector('.chart canvas');
    await page.waitForFunction(() => document.querySelectorAll('.chart').length === 3);
    // two samples make the first points of the charts
    await new Promise((r) => setTimeout(r, 2500));
    await shot(page, 'overview');
    await page.goto(`${lab.url}#/network`);
    await page.waitForSelector('text=dk syslogd');
    await page.waitForSelector(`td:has-text("${lab.logSock}")`);
    await shot(page, 'network');
  });

  test('the process table shows a sleep the test started; TERM from its page ends it and the row goes', async () => {
    const sleeper = spawn('sleep', ['4321'], { stdio: 'ignore' });
    try {
      const page = await loggedIn('admin');
      await page.goto(`${lab.url}#/processes`);
      await page.fill('input[placeholder^=filter]', 'sleep 4321');
      const row = `tr[data-pid="${sleeper.pid}"]`;
      await page.waitForSelector(row);
      assert.match((await page.textContent(row)) ?? '', /sleep 4321/);
      await page.fill('input[placeholder^=filter]', '');
      await page.click('button:text("tree")');
      await shot(page, 'processes');
      await page.click(`${row} a`);
      await page.waitForSelector('h3:text("Open files and sockets")');
      await shot(page, 'process');
      await page.click('button:text-is("TERM")');
      await until(() => sleeper.signalCode === 'SIGTERM', 'the sleep ended by SIGTERM from the page');
      await page.goto(`${lab.url}#/processes`);
      await page.fill('input[placeholder^=filter]', 'sleep 4321');
      await page.waitForSelector(row, { state: 'detached' });
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('stopping and starting a unit shows on the page', async (t) => {
    const page = await loggedIn('admin');
    await page.goto(`${lab.url}#/services`);
    const state = 'tr[data-unit="napper.service"] td.state';
    await page.waitForSelector(`${state}:text-matches("^active")`);
    let t0 = Date.now();
    await page.click('tr[data-unit="napper.service"] button:text("stop")');
    await page.waitForSelector(`${state}:text-matches("^inactive")`);
    const stopMs = Date.now() - t0;
    t0 = Date.now();
    await page.click('tr[data-unit="napper.service"] button:text("start")');
    await page.waitForSelector(`${state}:text-matches("^active")`).catch(async (e: Error) => {
      await shot(page, 'services-failed');
      throw e;
    });
    t.diagnostic(`unit state on the page after stop: ${stopMs} ms, after start: ${Date.now() - t0} ms`);
    await page.click('tr[data-unit="napper.service"] button.link');
    await page.waitForSelector('pre.log:has-text("napper is up")');
    await shot(page, 'services');
  });

  test('a logger line appears in the live log view; a priority filter hides it', async (t) => {
    const page = await loggedIn('admin');
    await page.goto(`${lab.url}#/logs`);
    await page.waitForSelector('pre.log');
    // the live follow is set up once the first page of rows is in
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    assert.equal(dk(['logger', '-u', lab.logSock, '-t', 'browsertag', '-p', 'user.info', 'hello from util-linux logger']).code, 0);
    await page.waitForSelector('pre.log div:has-text("browsertag: hello from util-linux logger")');
    t.diagnostic(`logger line on the page after ${Date.now() - t0} ms`);
    await shot(page, 'logs');
    await page.selectOption('select[name=priority]', 'err');
    await page.click('button:text("Apply")');
    await page.waitForSelector('pre.log div:has-text("hello from util-linux logger")', { state: 'detached' });
  });

  test('a viewer sees but cannot act: no buttons, and the API says no', async () => {
    const page = await loggedIn('viewer');
    await page.goto(`${lab.url}#/process/1`);
    await page.waitForSelector('h3:text("Threads")');
    assert.equal(await page.locator('button:text-is("TERM")').count(), 0);
    await page.goto(`${lab.url}#/services`);
    await page.waitForSelector('tr[data-unit="napper.service"]');
    assert.equal(await page.locator('tr[data-unit="napper.service"] button:text("stop")').count(), 0);
    const status = await page.evaluate(async () => {
      const s = (await (await fetch('/api/session')).json()) as { csrf: string };
      const r = await fetch('/api/services/napper.service/stop', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf },
        body: '{}',
      });
      return r.status;
    });
    assert.equal(status, 403);
    await shot(page, 'viewer-services');
  });
});

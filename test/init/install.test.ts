/** dk initctl enable/disable/is-enabled on unit files (systemctl's offline mode): the links, and only those. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dk } from '../helpers/dk.js';

test('enable links WantedBy, RequiredBy, Alias and Also, once; a template enables its DefaultInstance; disable removes them all', () => {
  const root = mkdtempSync(join(tmpdir(), 'dk-install-'));
  try {
    const admin = join(root, 'etc');
    const vendor = join(root, 'lib');
    mkdirSync(admin);
    mkdirSync(vendor);
    const w = (name: string, text: string) => writeFileSync(join(vendor, name), text);
    w('web.service', '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nRequiredBy=site.target\nAlias=www.service\nAlso=cache.service\n');
    w('cache.service', '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n');
    w('getty@.service', '[Service]\nExecStart=/sbin/agetty %I\n[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n');
    w('plain@.service', '[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=multi-user.target\n');
    w('static.service', '[Service]\nExecStart=/bin/true\n');
    const ctl = (...a: string[]) => dk(['initctl', '--units', admin, '--units', vendor, ...a]);

    const r = ctl('enable', 'web.service', 'getty@.service', 'plain@x1');
    assert.equal(r.code, 0, r.err);
    const links = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
    assert.deepEqual(links(join(admin, 'multi-user.target.wants')), ['cache.service', 'plain@x1.service', 'web.service']);
    assert.deepEqual(links(join(admin, 'site.target.requires')), ['web.service']);
    assert.deepEqual(links(join(admin, 'getty.target.wants')), ['getty@tty1.service']);
    assert.equal(readlinkSync(join(admin, 'www.service')), join(vendor, 'web.service'));
    assert.equal(readlinkSync(join(admin, 'getty.target.wants', 'getty@tty1.service')), join(vendor, 'getty@.service'));
    assert.match(r.out, new RegExp(`^Created symlink ${join(admin, 'multi-user.target.wants', 'web.service')} → ${join(vendor, 'web.service')}\\.$`, 'm'));
    // again: nothing to do, nothing said
    assert.deepEqual(ctl('enable', 'web.service'), { code: 0, out: '', err: '' });
    assert.equal(ctl('is-enabled', 'web.service').out, 'enabled\n');
    assert.equal(ctl('is-enabled', 'static.service').out, 'static\n');
    assert.equal(ctl('is-enabled', 'nothere.service').out, 'not-found\n');

    const s = ctl('enable', 'static.service');
    assert.equal(s.code, 1);
    assert.match(s.err, /static\.service has no \[Install\] section/);
    const t = ctl('enable', 'plain@.service');
    assert.equal(t.code, 1);
    assert.match(t.err, /plain@\.service is a template without DefaultInstance=: name an instance \(plain@NAME\.service\)/);

    const d = ctl('disable', 'web', 'getty@.service', 'plain@.service');
    assert.equal(d.code, 0, d.err);
    assert.deepEqual(links(join(admin, 'multi-user.target.wants')), ['cache.service']);
    assert.deepEqual(links(join(admin, 'site.target.requires')), []);
    assert.deepEqual(links(join(admin, 'getty.target.wants')), []);
    assert.equal(existsSync(join(admin, 'www.service')), false);
    assert.equal(ctl('is-enabled', 'web.service').out, 'disabled\n');
    // the vendor files are never touched
    assert.deepEqual(readdirSync(vendor).sort(), ['cache.service', 'getty@.service', 'plain@.service', 'static.service', 'web.service']);
    assert.ok(!lstatSync(join(vendor, 'web.service')).isSymbolicLink());
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

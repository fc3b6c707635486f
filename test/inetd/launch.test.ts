/** The pure parts of starting servers: accounts as initgroups sees them, socket addresses. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { account } from '../../src/proc/users.js';
import { parseSockaddr, sockaddr } from '../../src/sys/rawsocket.js';

describe('accounts', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nweb:x:1001:1001::/home/web:/bin/sh\n';
  const group = 'root:x:0:\nnogroup:x:65534:\nweb:x:1001:\nwww-data:x:33:web\nadm:x:4:syslog,web\nother:x:50:webmaster\n';

  test('uid, primary gid, and every group that lists the user', () => {
    assert.deepEqual(account('web', undefined, passwd, group), { uid: 1001, gid: 1001, groups: [1001, 33, 4] });
    assert.deepEqual(account('web', 'nogroup', passwd, group), { uid: 1001, gid: 65534, groups: [65534, 33, 4] });
    assert.deepEqual(account('nobody', undefined, passwd, group), { uid: 65534, gid: 65534, groups: [65534] });
    // a number that is nobody's: that uid, gid the same, no groups from the file
    assert.deepEqual(account('4242', '4242', passwd, group), { uid: 4242, gid: 4242, groups: [4242] });
    assert.equal(account('ghost', undefined, passwd, group), "unknown user 'ghost'");
    assert.equal(account('web', 'ghosts', passwd, group), "unknown group 'ghosts'");
  });
});

describe('socket addresses', () => {
  test('IPv4 and IPv6 round trip, zeros compressed as RFC 5952 says', () => {
    assert.deepEqual(parseSockaddr(sockaddr('127.0.0.1', 69)!), { address: '127.0.0.1', port: 69 });
    assert.deepEqual(parseSockaddr(sockaddr('2001:db8:0:0:1:0:0:1', 7)!), { address: '2001:db8::1:0:0:1', port: 7 });
    assert.deepEqual(parseSockaddr(sockaddr('::ffff:10.1.2.3', 7)!), { address: '10.1.2.3', port: 7 });
    assert.equal(sockaddr('not-an-address', 1), undefined);
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 65535 }), (a, port) => {
        const got = parseSockaddr(sockaddr(a, port)!)!;
        assert.equal(got.port, port);
        // the URL parser writes IPv6 hosts canonically; mapped IPv4 comes back dotted
        const canonical = new URL(`http://[${a}]/`).hostname.slice(1, -1);
        if (!canonical.startsWith('::ffff:')) assert.equal(got.address, canonical);
      }),
    );
  });
});

/** RFC 1413 answers: the shapes identds send, and any line never throws. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { identQuery, parseIdentReply } from '../../src/inetd/access/ident.js';

test('answers: USERID with and without a charset, ERROR, other ports, junk', () => {
  assert.equal(identQuery(6191, 23), '6191 , 23\r\n');
  assert.deepEqual(parseIdentReply('6191, 23 : USERID : UNIX : stjohns\r\n', 6191, 23), { user: 'stjohns', os: 'UNIX' });
  assert.deepEqual(parseIdentReply('6193,23:USERID:UNIX,US-ASCII:a:b c\n', 6193, 23), { user: 'a:b c', os: 'UNIX' });
  assert.deepEqual(parseIdentReply('6195, 23 : ERROR : NO-USER', 6195, 23), { error: 'NO-USER' });
  assert.equal(parseIdentReply('6191, 24 : USERID : UNIX : x', 6191, 23), undefined);
  assert.equal(parseIdentReply('hello', 1, 2), undefined);
  assert.equal(parseIdentReply('1, 2 : USERID : UNIX :   ', 1, 2), undefined);
});

test('any line: an answer or undefined, never a throw; a well-formed answer comes back whole', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.nat(65535), fc.nat(65535), (line, a, b) => {
      const r = parseIdentReply(line, a, b);
      assert.ok(r === undefined || 'user' in r || 'error' in r);
    }),
  );
  const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/);
  fc.assert(
    fc.property(fc.nat(65535), fc.nat(65535), word, word, (a, b, os, user) => {
      assert.deepEqual(parseIdentReply(`${a} , ${b} : USERID : ${os} : ${user}\r\n`, a, b), { user, os });
    }),
  );
});

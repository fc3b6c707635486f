// A process that holds one of every kind of open file dk lsof must describe,
// then prints "ready" and waits to be killed.
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const path = require('node:path');
const { spawn } = require('node:child_process');

const dir = process.argv[2];
const keep = [];
keep.push(fs.openSync(path.join(dir, 'regular.txt'), 'w+'));
fs.writeSync(keep[0], 'hello\n');
keep.push(fs.openSync(dir, 'r'));
const gone = path.join(dir, 'deleted.txt');
keep.push(fs.openSync(gone, 'w'));
fs.writeSync(keep[2], 'x'.repeat(100));
fs.unlinkSync(gone);
// the null device after writes: its offset stays 0 (dk lsof relies on it instead of reading fdinfo)
const nul = fs.openSync('/dev/null', 'r+');
fs.writeSync(nul, 'x'.repeat(5000));
fs.writeSync(nul, 'y', 4096);
fs.readSync(nul, Buffer.alloc(10));
keep.push(nul);
// a pipe: a child whose stdin we hold open
const cat = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
const tcp = net
  .createServer((s) => keep.push(s))
  .listen(0, '127.0.0.1', () => {
    const client = net.connect(tcp.address().port, '127.0.0.1', () => {
      const udp = dgram.createSocket('udp4').bind(0, '127.0.0.1', () => {
        const unixPath = path.join(dir, 'sock');
        const us = net
          .createServer((s) => keep.push(s))
          .listen(unixPath, () => {
            const uc = net.connect(unixPath, () => {
              setTimeout(() => process.stdout.write(`ready ${cat.pid}\n`), 100);
              keep.push(client, udp, us, uc);
            });
          });
      });
    });
  });
process.on('SIGTERM', () => {
  cat.kill('SIGKILL');
  process.exit(0);
});
setInterval(() => {}, 1e6);

#!/bin/sh
":" //; case ${0##*/} in dk | dk.cjs) t=$1 ;; *) t=${0##*/} ;; esac; case $t in ps | pstree | lsof | top) unset NODE_EXTRA_CA_CERTS; exec node --v8-pool-size=1 "$0" "$@" ;; esac; exec node "$0" "$@"
// The dk executable: runs the CommonJS bundle next to it through vm.Script
// with a V8 code cache, so a short `dk ps` does not spend its time compiling.
// The cache is written only by the build (DK_WRITE_CACHE=1); a cache from
// another Node version is rejected by V8 and the bundle simply compiles.
//
// The two lines above are for sh; to node they are a string and a comment
// (biome.json leaves the file unformatted, which would add a ';').
// The listing tools (dk ps, pstree, lsof, top, or their links) get one V8
// worker thread instead of four: a listing's background work (optimizing
// compiles, GC helpers) then runs beside it on another core instead of four
// threads taking turns with it. On two cores `dk lsof` over 1000 processes
// waited 5-34 ms for a core with four, none with one, and finished 10-14 ms
// sooner in A/B runs. The daemons keep Node's four (syslogd's receive
// threads share them: 3-5% fewer messages a second with one). A shebang
// cannot carry the option portably (`env -S` is not in busybox).
// They also start without NODE_EXTRA_CA_CERTS: Node 20 loads that file into
// an OpenSSL store before any script runs (26 ms of a 45 ms `node -e 0` with
// Debian's 140-certificate bundle), and a listing makes no TLS connection
// and starts no program that could.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

// the listing tools have a bundle of their own: a third of the code to read and deserialise (-1.2 ms for ps aux)
const argv1 = path.basename(process.argv[1] ?? '');
const tool = argv1 === 'dk' || argv1 === 'dk.cjs' ? process.argv[2] : argv1;
const listing = tool === 'ps' || tool === 'pstree' || tool === 'lsof' || tool === 'top';
const file = path.join(__dirname, listing ? 'dk-listing.cjs' : 'dk-bundle.cjs');
const cacheFile = `${file}.cache`;
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
// the bundle is written as this function and in ASCII (scripts/build.mjs)
const source = fs.readFileSync(file, 'latin1');
const script = new vm.Script(source, { filename: file, cachedData });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, __dirname);
if (process.env.DK_WRITE_CACHE === '1') {
  // after the run, so the functions it compiled are in the cache too
  process.once('exit', () => fs.writeFileSync(cacheFile, script.createCachedData()));
}

#!/usr/bin/env node
// The dk executable: runs the CommonJS bundle next to it through vm.Script
// with a V8 code cache, so a short `dk ps` does not spend its time compiling.
// The cache is written only by the build (DK_WRITE_CACHE=1); a cache from
// another Node version is rejected by V8 and the bundle simply compiles.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const file = path.join(__dirname, 'dk-bundle.cjs');
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

// Shared pieces of the dashboard's end-to-end tests: prerequisites (skip with
// exit 77, or fail when TARMAC_REQUIRE_BROWSER / TARMAC_REQUIRE_DATA is 1),
// running tarmac, starting `tarmac serve` on a free port, launching Debian's
// Chromium through playwright-core, and a tiny check/report layer.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export const SKIP = 77;

export const env = {
  binary: process.env.TARMAC_BINARY,
  source: process.env.TARMAC_SOURCE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..'),
  out: process.env.TARMAC_WEB_OUT || path.join(os.tmpdir(), 'tarmac-web-out'),
  chromium: process.env.TARMAC_CHROMIUM || '/usr/bin/chromium',
};
env.data = process.env.TARMAC_DATA_DIR || path.join(env.source, '..', 'shared', 'data');

// Skips the test (exit 77) unless `required` says the missing thing is an error.
export function need(ok, what, required) {
  if (ok) return;
  if (required) {
    console.error(`FAIL: ${what}`);
    process.exit(1);
  }
  console.log(`SKIP: ${what}`);
  process.exit(SKIP);
}

export async function loadPlaywright() {
  const requireBrowser = process.env.TARMAC_REQUIRE_BROWSER === '1';
  need(fs.existsSync(env.chromium), `no Chromium at ${env.chromium} (apt-get install chromium)`, requireBrowser);
  try {
    return await import('playwright-core');
  } catch (e) {
    need(false, `playwright-core is not installed (run npm ci in ${env.source}): ${e.message}`, requireBrowser);
  }
  return null;
}

export function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tarmac-${name}-`));
  return dir;
}

// Runs tarmac synchronously; returns {code, stdout, stderr}.
export function tarmac(args, options = {}) {
  const r = spawnSync(env.binary, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Starts `tarmac serve --port 0` and resolves with {url, proc, stop()}.
export function serve(db, extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(env.binary, ['serve', '--db', db, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`tarmac serve did not start: ${out} ${err}`)), 60000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          proc,
          stop: () => new Promise((done) => {
            if (proc.exitCode !== null) return done(proc.exitCode);
            proc.once('exit', (code) => done(code));
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => { clearTimeout(timer); if (!/http:/.test(out)) reject(new Error(`tarmac serve exited ${code}: ${err}`)); });
  });
}

export async function launch(playwright) {
  const userDir = tempDir('chromium');
  const context = await playwright.chromium.launchPersistentContext(userDir, {
    executablePath: env.chromium,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { context, close: async () => { await context.close(); fs.rmSync(userDir, { recursive: true, force: true }); } };
}

// How free the machine is: one thread per core spins for `ms`; the result is
// the CPU time they got over the time they could have got (about 1 on an
// idle machine, well below when other processes compete for the cores).
export async function coreShare(ms = 400) {
  const cores = Math.max(1, os.cpus().length);
  const code = `const { parentPort } = require('node:worker_threads');
    const t0 = performance.now(); let x = 0;
    while (performance.now() - t0 < ${ms}) x += Math.sqrt(x + 1);
    parentPort.postMessage(x);`;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: cores }, () => new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const used = process.cpuUsage(c0);
  return Math.min(1, (used.user + used.system) / 1000 / ((performance.now() - t0) * cores));
}

// Checks: each prints a line; failures are counted, the test goes on.
let failures = 0;
export function check(ok, what, detail = '') {
  if (ok) {
    console.log(`  ok    ${what}`);
  } else {
    failures++;
    console.log(`  FAIL  ${what}${detail ? ': ' + detail : ''}`);
  }
  return ok;
}
export function section(name) {
  console.log(`\n== ${name}`);
}
export function failed() {
  return failures;
}

export async function waitFor(fn, { timeout = 20000, interval = 100, what = 'condition' } = {}) {
  const start = Date.now();
  let last;
  while (Date.now() - start < timeout) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

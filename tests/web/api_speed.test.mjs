// Every API endpoint of `tarmac serve` on a store of 100 runs x 1,000
// scenarios (tests/support/synthetic_store.h, written in about a second, not
// simulated) must answer in under 100 ms: the first (cold) answer and the
// median of five more, measured by the client over HTTP, whole body read.
// CTest runs this alone (RUN_SERIAL). Timings mean nothing on a machine that
// other work keeps busy: if a thread per core gets less than 80% of its core
// (measured before and after), the figures are reported but the limit is not
// enforced, unless TARMAC_ENFORCE_TIMING=1. HTTP statuses are always checked.
// The figures go to $TARMAC_WEB_OUT/api_speed.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { env, need, tempDir, serve, check, section, failed, coreShare } from './harness.mjs';

const LIMIT_MS = 100;
const generator = process.env.TARMAC_SYNTHETIC_STORE;
need(env.binary && fs.existsSync(env.binary), `TARMAC_BINARY (${env.binary}) is not the tarmac executable`, true);
need(generator && fs.existsSync(generator), `TARMAC_SYNTHETIC_STORE (${generator}) is not built`, true);

const work = tempDir('api-speed');
const db = path.join(work, 'big.db');
section('the store: 100 runs x 1,000 scenarios');
const gen = spawnSync(generator, [db, '100', '1000', '10'], { encoding: 'utf8' });
check(gen.status === 0, gen.stdout.trim(), gen.stderr);

const t0 = performance.now();
const server = await serve(db);
const startMs = performance.now() - t0;
console.log(`  tarmac serve started in ${startMs.toFixed(0)} ms (summaries of 100 runs computed before listening)`);

async function timed(url) {
  const t = performance.now();
  const res = await fetch(url);
  const body = await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status, bytes: body.byteLength };
}

const endpoints = [
  ['info', 200], ['status', 200], ['runs', 200], ['runs?q=nightly-05&planner=idm', 200], ['runs/57', 200],
  ['runs/57/results', 200], ['runs/57/results?status=failed', 200], ['runs/100/scenario?id=syn-00050', 200],
  ['runs/100/trace?id=syn-00999', 200], ['runs/100/scene?id=syn-00999', 200], ['runs/100/scene?id=syn-00001', 200],
  ['trends', 200], ['trends?planner=pdm', 200], ['compare?base=99&cand=100', 200],
  ['compare?base=1&cand=100&strict=1', 200], ['compare?base=50&cand=51', 200],
  ['runs/abc', 400], ['runs/1000', 404], ['compare?base=1', 400], ['nothing', 404],
];
const figures = [];
const shareBefore = await coreShare();
section(`every endpoint under ${LIMIT_MS} ms`);
const slow = [];
try {
  for (const [ep, status] of endpoints) {
    const url = `${server.url}/api/${ep}`;
    const cold = await timed(url);
    const warm = [];
    for (let i = 0; i < 5; i++) warm.push((await timed(url)).ms);
    warm.sort((a, b) => a - b);
    const median = warm[2];
    figures.push({ endpoint: ep, status: cold.status, bytes: cold.bytes, cold_ms: Number(cold.ms.toFixed(2)),
      median_ms: Number(median.toFixed(2)), max_ms: Number(warm[4].toFixed(2)) });
    const fast = cold.ms < LIMIT_MS && median < LIMIT_MS;
    if (!fast) slow.push(ep);
    check(cold.status === status,
      `/api/${ep}: HTTP ${cold.status}, ${(cold.bytes / 1024).toFixed(0)} kB, first ${cold.ms.toFixed(1)} ms, median ${median.toFixed(1)} ms${fast ? '' : '  <-- over ' + LIMIT_MS + ' ms'}`,
      `expected HTTP ${status}`);
  }
} catch (e) {
  check(false, 'unexpected error', e.stack || String(e));
} finally {
  await server.stop();
}
const share = Math.min(shareBefore, await coreShare());
const enforce = share >= 0.8 || process.env.TARMAC_ENFORCE_TIMING === '1';
console.log(`\n  a thread per core got ${(100 * share).toFixed(0)}% of its core while spinning (machine ${share >= 0.8 ? 'free' : 'busy'})`);
if (enforce) {
  check(slow.length === 0, `every answer under ${LIMIT_MS} ms`, slow.join(', '));
} else {
  console.log(`  NOT ENFORCED (busy machine): ${slow.length ? 'over ' + LIMIT_MS + ' ms: ' + slow.join(', ') : 'all under ' + LIMIT_MS + ' ms anyway'}`);
}
fs.mkdirSync(env.out, { recursive: true });
fs.writeFileSync(path.join(env.out, 'api_speed.json'), JSON.stringify({ store: '100 runs x 1000 scenarios', start_ms: startMs, core_share: share, enforced: enforce, figures }, null, 2));
fs.rmSync(work, { recursive: true, force: true });
if (failed() > 0) {
  console.log(`\n${failed()} check(s) failed`);
  process.exit(1);
}
console.log('\nall checks passed');

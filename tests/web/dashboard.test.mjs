// The dashboard end to end in headless Chromium: `tarmac run` writes real
// runs (the embedded NGSIM suite, plus nuScenes from ../shared/data when
// there), `tarmac serve` serves them, and every page must show what the CLI
// says: the runs and their mean scores, one point per run on every trend
// chart (clickable into the run), the comparison's verdict and regressions as
// `tarmac compare`, a replay that advances (also without the map when the
// scenario file has moved), a run appearing live and updating while it
// writes, and `tarmac report` opening offline. Screenshots go to
// $TARMAC_WEB_OUT (and docs/images/ with TARMAC_UPDATE_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { env, need, loadPlaywright, tempDir, tarmac, serve, launch, check, section, failed, waitFor } from './harness.mjs';

need(env.binary && fs.existsSync(env.binary), `TARMAC_BINARY (${env.binary}) is not the tarmac executable`, true);
const playwright = await loadPlaywright();
const haveData = fs.existsSync(path.join(env.data, 'SOURCES.md'));
need(haveData || process.env.TARMAC_REQUIRE_DATA !== '1', `real data not found at ${env.data}`, true);

const work = tempDir('dashboard');
fs.mkdirSync(env.out, { recursive: true });
const shots = [];
async function screenshot(page, name) {
  const file = path.join(env.out, `dashboard-${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  shots.push(file);
}

// ---- the runs -----------------------------------------------------------------------
section('runs written by tarmac run');
const suite = path.join(work, 'suite');
fs.mkdirSync(suite);
const embedded = path.join(env.source, 'suites', 'default', 'commonroad');
for (const f of fs.readdirSync(embedded).filter((f) => f.endsWith('.xml'))) {
  fs.copyFileSync(path.join(embedded, f), path.join(suite, f));
}
const scenarioArgs = ['--scenarios', suite];
if (haveData) scenarioArgs.push(path.join(env.data, 'nuscenes-mini-scenarionet'));
const db = path.join(work, 'dash.db');
const planners = [['pdm', 'nightly-1-pdm'], ['idm', 'nightly-2-idm'], ['constant-velocity', 'nightly-3-cv'], ['log', 'nightly-4-log']];
const summaries = [];
for (const [planner, name] of planners) {
  const r = tarmac(['run', '--planner', planner, '--agents', 'idm', '--run-name', name, '--db', db, '--json', ...scenarioArgs]);
  assert.equal(r.code, 0, `tarmac run --planner ${planner}: ${r.stderr}`);
  summaries.push(JSON.parse(r.stdout));
}
const numScenarios = summaries[0].scenarios;
check(summaries.every((s) => s.scenarios === numScenarios), `${planners.length} runs of ${numScenarios} scenarios`);
const cmpCli = tarmac(['compare', '1', '3', '--db', db, '--json']);
const cmp = JSON.parse(cmpCli.stdout);
check(cmpCli.code === (cmp.regression ? 1 : 0), `tarmac compare 1 3: regression=${cmp.regression}, ${cmp.worse.length} worse`);
// One scenario file moves away after the runs: its replay must say so and still play.
const movedFile = fs.readdirSync(suite).sort()[0];
fs.renameSync(path.join(suite, movedFile), path.join(work, movedFile));
const movedId = path.basename(movedFile, '.xml');

const server = await serve(db);
const { context, close } = await launch(playwright);
const page = await context.newPage();
const problems = [];
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
// Nothing may leave the machine: every request must go to the server.
const foreign = [];
await context.route('**/*', (route) => {
  const u = route.request().url();
  if (u.startsWith(server.url) || u.startsWith('file://') || u.startsWith('data:')) return route.continue();
  foreign.push(u);
  return route.abort();
});
const base = `${server.url}/?poll=300`;
async function open(hash) {
  await page.goto('about:blank');  // a fresh load: no stale ready flag
  await page.goto(`${base}${hash}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
}

try {
  // ---- runs ----
  section('runs page');
  await open('#/runs');
  const rows = page.locator('[data-testid="runs-table"] tbody tr');
  check(await rows.count() === planners.length, `${planners.length} runs listed`, String(await rows.count()));
  for (let i = 0; i < planners.length; i++) {
    const id = summaries[i].run_id;
    const text = await page.locator(`[data-testid="runs-table"] tr[data-key="${id}"] [data-testid="mean-score"]`).textContent();
    check(text === summaries[i].mean_score.toFixed(4), `run ${id} mean score ${text} = tarmac run's ${summaries[i].mean_score.toFixed(4)}`);
  }
  await page.fill('[data-testid="runs-search"]', 'cv');
  check(await rows.count() === 1, 'search "cv" leaves one run');
  await page.fill('[data-testid="runs-search"]', '');
  await page.selectOption('[data-testid="runs-planner"]', 'pdm');
  check(await rows.count() === 1, 'planner filter pdm leaves one run');
  await page.selectOption('[data-testid="runs-planner"]', '');
  await screenshot(page, 'runs');

  // ---- one run ----
  section('run page');
  await page.locator('[data-testid="runs-table"] tr[data-key="1"] td:nth-child(3)').click();
  await page.waitForURL(/#\/runs\/1$/);
  await page.waitForSelector('body[data-ready="true"]');
  const scenarioRows = page.locator('[data-testid="scenarios-table"] tbody tr');
  check(await scenarioRows.count() === numScenarios, `run 1 lists its ${numScenarios} scenarios`);
  check(await page.textContent('[data-testid="run-mean-score"]') === summaries[0].mean_score.toFixed(4), 'run page mean score');

  // ---- trends ----
  section('trends page');
  await open('#/trends');
  const charts = page.locator('[data-testid="trend-charts"] .chart');
  const n = await charts.count();
  const points = await charts.evaluateAll((els) => els.map((e) => [e.dataset.chart, Number(e.dataset.points), e._uplot.data[0].length]));
  check(n >= 10, `${n} charts (the score and every metric with values)`);
  check(points.every(([, p, u]) => p === planners.length && u === planners.length),
    `every chart has ${planners.length} points, one per run`, JSON.stringify(points.filter(([, p]) => p !== planners.length)));
  const scoreValues = await page.locator('[data-chart="score"]').evaluate((e) => e._uplot.data[1]);
  check(scoreValues.every((v, i) => Math.abs(v - summaries[i].mean_score) < 1e-12), 'score chart values = the runs\' mean scores');
  // Clicking the third point opens run 3.
  const at = await page.locator('[data-chart="score"]').evaluate((e) => {
    const u = e._uplot;
    const r = u.over.getBoundingClientRect();
    return { x: r.left + u.valToPos(2, 'x'), y: r.top + u.valToPos(u.data[1][2], 'y') };
  });
  await page.mouse.move(at.x, at.y);
  await page.mouse.click(at.x, at.y);
  await page.waitForURL(/#\/runs\/3$/, { timeout: 5000 }).then(() => check(true, 'clicking the third point opens run 3'),
    () => check(false, 'clicking the third point opens run 3', page.url()));
  await open('#/trends');
  await screenshot(page, 'trends');

  // ---- compare ----
  section('compare page');
  await open('#/compare?base=1&cand=3');
  const verdict = page.locator('[data-testid="verdict"]');
  check(await verdict.getAttribute('data-regression') === String(cmp.regression), `verdict regression=${cmp.regression} as tarmac compare`);
  check((await verdict.textContent()).includes(cmp.reason), 'verdict gives tarmac compare\'s reason', await verdict.textContent());
  const metricRows = page.locator('[data-testid="compare-metrics"] tbody tr');
  check(await metricRows.count() === cmp.metrics.length, `${cmp.metrics.length} metrics compared`);
  const scoreRow = await page.locator('[data-testid="compare-metrics"] tr[data-metric="score"] td').allTextContents();
  const sc = cmp.metrics[0];
  check(scoreRow[5] === `[${sc.ci_low > 0 ? '+' : ''}${sc.ci_low.toFixed(4)}, ${sc.ci_high > 0 ? '+' : ''}${sc.ci_high.toFixed(4)}]`,
    'the score interval is tarmac compare\'s', scoreRow[5]);
  const table = page.locator('[data-testid="compare-table"] tbody tr');
  check(await table.count() === cmp.common_scenarios, `${cmp.common_scenarios} common scenarios listed`);
  await page.click('[data-testid="compare-filter"] [data-kind="fault"]');
  const faultIds = await table.evaluateAll((trs) => trs.map((t) => t.dataset.key).sort());
  const expectedFault = cmp.worse.filter((w) => w.new_at_fault_collision).map((w) => w.scenario).sort();
  check(JSON.stringify(faultIds) === JSON.stringify(expectedFault),
    `new at-fault collisions: the ${expectedFault.length} tarmac compare lists`, `${faultIds} vs ${expectedFault}`);
  await page.click('[data-testid="compare-filter"] [data-kind="worse"]');
  const worseIds = await table.evaluateAll((trs) => trs.map((t) => t.dataset.key));
  check(JSON.stringify(worseIds) === JSON.stringify(cmp.worse.map((w) => w.scenario)),
    `the ${cmp.worse.length} scenarios that got worse, in tarmac compare's order`);
  // Sort by the score change: the largest drop first.
  await page.click('[data-testid="compare-filter"] [data-kind="all"]');
  await page.click('[data-testid="compare-table"] th[data-key="delta"]');
  const firstDelta = Number(await page.locator('[data-testid="compare-table"] tbody tr:first-child td:nth-child(5)').textContent());
  const minDelta = Math.min(...cmp.worse.map((w) => w.cand_score - w.base_score), 0);
  check(Math.abs(firstDelta - minDelta) < 0.0006, `sorted by Δ score: largest drop first (${firstDelta})`);
  await page.click('[data-testid="compare-filter"] [data-kind="worse"]');
  await screenshot(page, 'compare');

  // ---- replay ----
  section('replay page');
  const target = expectedFault[0] || cmp.worse[0].scenario;
  await page.click(`[data-testid="compare-table"] tr[data-key="${target}"] td:nth-child(2)`);
  await page.waitForURL(/#\/replay\?/);
  await page.waitForSelector('body[data-ready="true"]');
  const canvas = page.locator('[data-testid="replay-canvas"]');
  check(await page.locator('[data-testid="scene-note"]').count() === 0, `${target}: the map is there`);
  const step = async () => Number(await canvas.getAttribute('data-step'));
  check(await step() === 0, 'replay starts at the first state');
  const marks = await page.locator('.marks .mark').count();
  const trace = await (await fetch(`${server.url}/api/runs/3/scenario?id=${encodeURIComponent(target)}`)).json();
  check(marks === trace.events.length && marks > 0, `${marks} events on the timeline`);
  const last = Number(await page.locator('[data-testid="replay-slider"]').getAttribute('max'));
  await page.click('[data-testid="replay-play"]');
  await waitFor(async () => (await step()) >= Math.min(8, last), { what: 'the replay to advance', timeout: 10000 });
  await page.click('[data-testid="replay-play"]');
  const paused = await step();
  await page.waitForTimeout(400);
  check(paused >= Math.min(8, last) && (await step()) === paused, `play advances (to state ${paused} of ${last}) and pause holds`);
  await page.selectOption('[data-testid="replay-speed"]', '4');
  await page.click('[data-testid="replay-play"]');
  await page.waitForTimeout(500);
  await page.click('[data-testid="replay-play"]');
  check((await step()) >= Math.min(paused + 6, last), `4× speed advances faster (to state ${await step()})`);
  // Scrub to the collision.
  await page.locator('.marks .mark[data-kind="collision"]').first().click();
  const hit = await step();
  check(hit > 0, `the collision mark scrubs to state ${hit}`);
  const slider = page.locator('[data-testid="replay-slider"]');
  await slider.fill(String(Math.max(0, hit - 8)));
  check((await step()) === Math.max(0, hit - 8), 'the slider scrubs');
  const curves = await page.locator('.curves .chart').evaluateAll((els) => els.map((e) => e._uplot.data[0].length));
  const stateCount = Number(await slider.getAttribute('max')) + 1;
  check(curves.length === 2 && curves.every((c) => c === stateCount), `metric curves have a point per state (${stateCount})`);
  await slider.fill(String(Math.max(0, hit - 3)));
  await screenshot(page, 'replay');

  section('replay without the map (scenario file moved)');
  await open(`#/replay?run=1&scenario=${encodeURIComponent(movedId)}`);
  const note = page.locator('[data-testid="scene-note"]');
  check(await note.count() === 1 && (await note.textContent()).includes('not there any more'), 'says the scenario file has moved',
    await note.count() ? await note.textContent() : 'no note');
  await page.click('[data-testid="replay-play"]');
  await waitFor(async () => (await step()) >= 5, { what: 'the map-less replay to advance', timeout: 10000 });
  check(true, 'and still replays');
  fs.renameSync(path.join(work, movedFile), path.join(suite, movedFile));  // back, for the live run's suite

  // ---- live ----
  section('a run in progress');
  await open('#/runs');
  const live = spawn(env.binary, ['run', '--planner', 'pdm', '--agents', 'idm', '--run-name', 'live-pdm', '--batch', '1',
    '--threads', '1', '--db', db, '--json', ...scenarioArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let liveErr = '';
  live.stderr.on('data', (d) => { liveErr += d; });
  const liveDone = new Promise((r) => live.on('exit', r));
  const liveRow = page.locator('[data-testid="runs-table"] tr[data-key="5"]');
  await waitFor(async () => (await liveRow.count()) === 1, { what: 'the live run to show up', timeout: 30000 });
  const seen = new Set();
  let sawLive = false;
  const watchStart = Date.now();
  while (Date.now() - watchStart < 120000) {
    const state = await liveRow.getAttribute('data-state').catch(() => null);
    const count = await liveRow.locator('td:nth-child(9)').textContent().catch(() => null);
    if (state === 'live') { sawLive = true; if (count) seen.add(count); }
    if (state === 'finished') break;
    if (sawLive && seen.size === 2) await screenshot(page, 'live');
    await page.waitForTimeout(150);
  }
  const code = await liveDone;
  check(code === 0, 'the live run finished', liveErr.slice(-300));
  check(sawLive, 'it was shown live while it wrote');
  check(seen.size >= 2, `its scenario count updated while live (${[...seen].join(' → ')})`);
  await waitFor(async () => (await liveRow.getAttribute('data-state')) === 'finished', { what: 'finished state', timeout: 10000 });
  check(true, 'and then shown finished');
  const liveMean = await liveRow.locator('[data-testid="mean-score"]').textContent();
  check(liveMean === summaries[0].mean_score.toFixed(4), `the live pdm run's mean score equals the first pdm run's (${liveMean})`);

  // ---- the report ----
  section('tarmac report, offline');
  const report = path.join(env.out, 'report.html');
  const rep = tarmac(['report', '--db', db, '--run', '3', '--baseline', '1', '-o', report, '--json']);
  check(rep.code === 0, 'tarmac report wrote the file', rep.stderr);
  const repInfo = JSON.parse(rep.stdout);
  const offline = await context.newPage();
  const requests = [];
  offline.on('request', (r) => { if (!r.url().startsWith('data:')) requests.push(r.url()); });
  await offline.goto('file://' + report);
  check(requests.length === 1, 'it loads nothing but itself', requests.join(' '));
  const verdictText = await offline.textContent('#verdict');
  check(verdictText.includes(cmp.reason), 'the report\'s verdict is tarmac compare\'s');
  const imgs = await offline.locator('#worst img').evaluateAll((els) => els.map((e) => [e.complete, e.naturalWidth]));
  check(imgs.length === repInfo.thumbnails && imgs.length > 0 && imgs.every(([c, w]) => c && w === 360),
    `${imgs.length} pictures of the worst scenarios, all decoded`);
  await offline.setViewportSize({ width: 1100, height: 900 });
  await screenshot(offline, 'report');
  await offline.close();

  section('no errors, nothing fetched from elsewhere');
  check(problems.length === 0, 'no page errors or console errors', problems.join('; '));
  check(foreign.length === 0, 'no request left the machine', foreign.join(' '));
} catch (e) {
  check(false, 'unexpected error', e.stack || String(e));
} finally {
  await close();
  await server.stop();
}

if (process.env.TARMAC_UPDATE_SCREENSHOTS === '1') {
  const dir = path.join(env.source, 'docs', 'images');
  for (const f of shots) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  console.log(`\nscreenshots copied to ${dir}`);
}
console.log(`\nscreenshots in ${env.out}`);
fs.rmSync(work, { recursive: true, force: true });
if (failed() > 0) {
  console.log(`\n${failed()} check(s) failed`);
  process.exit(1);
}
console.log('\nall checks passed');

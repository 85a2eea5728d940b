/*
 * Preloaded into an app by bench/processes (`node -r ./memory-report.cjs …`, its --breakdown pass only):
 * on SIGUSR2 it prints one JSON line to stderr with where the process's memory goes — the V8 heap
 * (by space: code, old, young, large objects), memory outside it (Buffers, native) — and what the
 * process loaded: modules per package (node_modules) and of the workspace, with their source sizes.
 * Nothing else runs until the signal comes, so the idle process measured is the app as it is.
 */
const v8 = require('node:v8');
const { statSync } = require('node:fs');

const MB = 1024 * 1024;
const mb = (n) => Math.round((n / MB) * 10) / 10;

function packageOf(file) {
  const i = file.lastIndexOf('/node_modules/');
  if (i < 0) return '(app and workspace)';
  const rest = file.slice(i + '/node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

process.on('SIGUSR2', () => {
  // BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot there too, for a closer look (Chrome DevTools, Memory tab).
  if (process.env.BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}/${process.pid}.heapsnapshot`);
  const usage = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_used_size)]));
  const packages = new Map();
  for (const file of Object.keys(require.cache)) {
    const name = packageOf(file);
    let bytes = 0;
    try {
      bytes = statSync(file).size;
    } catch {
      bytes = 0;
    }
    const p = packages.get(name) ?? { modules: 0, sourceKb: 0 };
    p.modules += 1;
    p.sourceKb += bytes / 1024;
    packages.set(name, p);
  }
  const top = [...packages]
    .map(([name, p]) => ({ name, modules: p.modules, sourceKb: Math.round(p.sourceKb) }))
    .sort((a, b) => b.sourceKb - a.sourceKb);
  process.stderr.write(
    `${JSON.stringify({
      msg: 'bench.memory',
      rssMb: mb(usage.rss),
      heapTotalMb: mb(usage.heapTotal),
      heapUsedMb: mb(usage.heapUsed),
      externalMb: mb(usage.external),
      arrayBuffersMb: mb(usage.arrayBuffers),
      spacesMb: spaces,
      modules: Object.keys(require.cache).length,
      packages: top,
    })}\n`,
  );
});

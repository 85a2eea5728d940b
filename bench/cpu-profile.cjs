/*
 * Preload that CPU-profiles a process from start to exit, for processes whose NODE_OPTIONS cannot
 * carry `--cpu-prof` (Node refuses it there):
 *
 *   NODE_OPTIONS="--require $PWD/bench/cpu-profile.cjs" CPU_PROFILE_DIR=/tmp/prof <command>
 *
 * Writes <CPU_PROFILE_DIR>/<pid>.cpuprofile (Chrome DevTools / speedscope format) when the process
 * is asked to stop (SIGTERM / SIGINT) or exits.
 */
const { Session } = require('node:inspector');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.CPU_PROFILE_DIR || '.run/profiles';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
let written = false;
function write() {
  if (written) return;
  written = true;
  session.post('Profiler.stop', (err, result) => {
    if (err) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
}
// The inspector answers synchronously within the same thread, so the profile is on disk before the app's own handlers run.
process.prependListener('SIGTERM', write);
process.prependListener('SIGINT', write);
process.on('exit', write);

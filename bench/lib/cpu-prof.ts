// Preloaded into the Opaque process (NODE_OPTIONS=--import) when BENCH_CPU_PROF=<dir> is set: Node 20
// refuses --cpu-prof in NODE_OPTIONS and the harness spawns the server itself, so profile through the
// inspector instead and write <dir>/opaque-<pid>.cpuprofile on exit (the server exits on SIGTERM).

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env['BENCH_CPU_PROF']!;
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 }); // µs; finer than the 1ms default
session.post('Profiler.start');
process.once('exit', () => {
  // The main-thread inspector session answers synchronously, so this completes inside 'exit'.
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(join(dir, `opaque-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
  });
});

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * With BENCH_PROFILE=<dir>, SIGUSR2 starts a CPU profile and the next SIGUSR2 writes it to
 * <dir>/<name>-<pid>.cpuprofile (open it in Chrome DevTools). Profiling only the measured window
 * keeps start-up and seeding out of the picture, which `node --cpu-prof` cannot do.
 */
export function profileOnSignal(name: string): void {
  const dir = process.env.BENCH_PROFILE;
  if (!dir) return;
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}

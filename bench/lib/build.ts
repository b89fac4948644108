import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Compiles src/ and bench/servers/ with tsc into bench/results/build/, as `npm start` runs the
 * server: plain JavaScript. Under tsx every closure would also pay esbuild's keepNames helper
 * (`__name`, one defineProperty per closure created), which is not what production runs.
 * Returns the path of a compiled server script.
 */
export function buildServers(): (name: string) => string {
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  try {
    execFileSync(process.execPath, [tsc, '-p', `${root}bench/tsconfig.json`], { stdio: 'pipe' });
  } catch (error) {
    // Type errors still emit JavaScript; only a missing output is fatal.
    const output = String((error as { stdout?: Buffer }).stdout ?? '');
    process.stderr.write(`tsc reported problems (the bench runs the emitted JavaScript anyway):\n${output.split('\n').slice(0, 10).join('\n')}\n`);
  }
  return (name) => {
    const script = `${root}bench/results/build/bench/servers/${name}.js`;
    if (!existsSync(script)) throw new Error(`${script} was not built`);
    return script;
  };
}

import { execFileSync } from 'node:child_process';

/**
 * Installs `pkg` from Debian's packages when `command` is missing (the bench needs a C load
 * generator and nginx; neither comes from npm). Only ENOENT means missing: `wrk --version` exits 1.
 */
export function ensureDebianPackage(command: string, versionArgs: string[], pkg: string): void {
  try {
    execFileSync(command, versionArgs, { stdio: 'ignore' });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
  }
  process.stderr.write(`${command} is missing; installing it with apt-get install -y ${pkg}\n`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const [program, ...args] = [...sudo, 'apt-get', 'install', '-y', pkg];
  execFileSync(program!, args, { stdio: 'inherit' });
}

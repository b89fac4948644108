import type { Command } from 'commander';
import { CliContext, type CliIo } from './context.ts';
import { usageError } from './exit-codes.ts';

export function registerStart(program: Command, io: CliIo): void {
  program
    .command('start')
    .description('start the server (settings come from the environment; see the README)')
    .option('-p, --port <port>', 'port to listen on (PORT)')
    .option('--host <host>', 'interface to listen on (HOST)')
    .action(async (options: { port?: string; host?: string }, command: Command) => {
      const cli = new CliContext(io, command);
      if (options.port !== undefined && !/^\d{1,5}$/.test(options.port)) throw usageError('--port must be a port number');
      // Loaded on use, so the other commands start without the server's modules.
      const { runServer } = await import('../main.ts');
      await runServer(
        {
          ...io.env,
          ...(options.port !== undefined ? { PORT: options.port } : {}),
          ...(options.host !== undefined ? { HOST: options.host } : {}),
          ...(cli.options.dataDir ? { TOOLPROXY_DATA_DIR: cli.dataDir } : {}),
        },
        io.stdout,
      );
      // The server now keeps the process alive until SIGINT/SIGTERM.
    });
}

import { buildApp } from '../app.ts';
import { createLogger } from '../log.ts';
import { parseArgs } from 'node:util';
import type { CliIo } from './index.ts';
import { loadServiceConfig } from './config-files.ts';
import { errorMessage } from '../errors.ts';

/** `spendflow serve`: pipeline + HTTP API until SIGINT/SIGTERM. */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { config: { type: 'string', multiple: true } } });
  const config = loadServiceConfig(values.config ?? [], io.env);
  const log = createLogger(config.service.logLevel);
  const app = await buildApp(config, log);
  await app.server.listen({ host: config.service.host, port: config.service.port });
  const address = app.server.addresses()[0];
  log.info('listening', { url: typeof address === 'object' ? `http://${address.address}:${address.port}` : String(address), mode: app.mode });
  // Signals are handled from here on, also while a slow Kafka start is in progress.
  let stopping = false;
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    app
      .stop()
      .then(() => resolveExit(0))
      .catch((err: unknown) => {
        log.error('shutdown failed', { error: errorMessage(err) });
        resolveExit(1);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  try {
    await app.start();
  } catch (err) {
    if (stopping) return exited;
    stopping = true;
    log.error('could not start the pipeline', { error: errorMessage(err) });
    await app.stop().catch(() => {});
    return 1;
  }
  return exited;
}

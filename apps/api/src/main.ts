import cluster from 'node:cluster';
// Not '#config': its Nest module would load @nestjs/common into the HTTP workers' supervisor, which
// needs only the validated settings (the same module instance the app gets through '#config').
import { ConfigError, loadConfig, type AppConfig } from '../../../libs/config/src/app-config.js';

/** Validates the environment before anything opens a connection; prints the list, not a stack. */
function configOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const config = configOrExit();
if (config.http.workers > 1 && cluster.isPrimary) {
  // The supervisor loads no application code: it forks, restarts, and relays signals and metrics.
  const { superviseWorkers } = await import('./http-workers.js');
  await superviseWorkers(config);
} else {
  const [{ serve }, { startupFailureLine }, { DataDirInUseError }, { KeyDecryptionError }] = await Promise.all([
    import('./server.js'),
    import('./startup-failure.js'),
    import('#database'),
    import('#common'),
  ]);
  await serve(config, { worker: cluster.isWorker }).catch((error: unknown) => {
    // Start-up problems a person can fix get one clear line, not a stack trace.
    const line =
      error instanceof DataDirInUseError || error instanceof KeyDecryptionError ? error.message : startupFailureLine(error, config);
    if (line === undefined) throw error;
    console.error(line);
    process.exit(1);
  });
}

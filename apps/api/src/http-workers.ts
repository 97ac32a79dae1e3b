import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import type { AppConfig } from '#config';

const log = (message: string) =>
  console.log(JSON.stringify({ level: 30, time: new Date().toISOString(), pid: process.pid, context: 'Workers', msg: message }));

/**
 * HTTP_WORKERS > 1: this process forks that many API processes, which share PORT (node:cluster hands
 * each new connection to one of them), and only supervises: a worker that dies is replaced after a
 * second; SIGTERM/SIGINT go to every worker, each drains as a single process would (graceful
 * shutdown), and this process exits when they all have. With metrics on, it serves the workers'
 * summed registries on METRICS_PORT (the same token rule as /metrics).
 */
export async function superviseWorkers(config: AppConfig): Promise<void> {
  let stopping = false;
  const listening = new WeakSet<Worker>();
  // Our own count of live workers: cluster.workers still holds a worker at its 'exit' event when its
  // IPC channel has not closed yet, so the last exit could go unnoticed (and, with the metrics port
  // open, this process would never end).
  const live = new Set<Worker>();
  const fork = () => {
    const worker = cluster.fork();
    live.add(worker);
    worker.once('listening', () => listening.add(worker));
  };
  for (let i = 0; i < config.http.workers; i++) fork();
  log(`Starting ${config.http.workers} API workers on port ${config.http.port}`);

  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const worker of live) worker.process.kill(signal);
  };
  cluster.on('exit', (worker: Worker, code, signal) => {
    live.delete(worker);
    if (stopping) {
      if (live.size === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (!listening.has(worker)) {
      // It failed before serving (a bad key, an unreachable database): another would fail the same way.
      log(`Worker ${worker.process.pid} failed to start (${signal ?? code}); stopping`);
      process.exitCode = 1;
      if (live.size === 0) process.exit(1);
      return stopAll('SIGTERM');
    }
    log(`Worker ${worker.process.pid} ended (${signal ?? code}); starting another in 1 s`);
    setTimeout(fork, 1000);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      log(`${signal}: stopping ${live.size} workers`);
      stopAll(signal);
    });
  }

  const { enabled, port, token } = config.metrics;
  if (!enabled || port === undefined) return;
  // Loaded after the workers are forked, so their start does not wait for it.
  // prom-client is CommonJS: its exports are read from `default`, which both Node and the bundle give.
  const [{ default: promClient }, { metricsPortListener }] = await Promise.all([
    import('prom-client'),
    import('../../../libs/metrics/src/metrics-http.js'),
  ]);
  // The workers' registries summed, served with the one token rule and error shape of /metrics.
  const registry = new promClient.AggregatorRegistry();
  createServer(metricsPortListener({ render: () => registry.clusterMetrics(), contentType: registry.contentType }, token)).listen(
    port,
    config.http.host,
    () => log(`Serving the workers' summed /metrics on port ${port}`),
  );
}

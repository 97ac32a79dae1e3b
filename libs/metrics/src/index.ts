export { Metrics, channelOf, type CodeChannel } from './metrics.js';
export { MetricsModule } from './metrics.module.js';
export { recordHttpMetrics, metricsHandler } from './metrics-http.js';

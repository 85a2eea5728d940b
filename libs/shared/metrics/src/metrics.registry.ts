import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * One Prometheus registry per process (prom-client's own model): every metric of the process is in
 * it, labelled with the app (`app="ingest-api"`) when it renders, beside Node's default metrics (CPU,
 * memory, event loop lag, GC). Libraries count into it through the typed metrics of `hubMetrics`;
 * the app serves it on `GET /metrics` (`renderMetrics()`, or `MetricsController` on a probe server)
 * and counts its requests with `instrumentHttp`.
 */
const registry = new Registry();
let defaultMetricsOn = false;
/** Gauges read on scrape (queue depths, lags, clients): each app registers how to read its own. */
const scrapeHooks = new Set<() => Promise<void>>();

/** The process's registry, labelled with `app` and with Node's default metrics (once per process). */
export function initMetrics(app: string): Registry {
  registry.setDefaultLabels({ app });
  if (!defaultMetricsOn) {
    collectDefaultMetrics({ register: registry, prefix: 'hub_' });
    defaultMetricsOn = true;
  }
  return registry;
}

export function metricsRegistry(): Registry {
  return registry;
}

/** The text exposition format's content type (`text/plain; version=0.0.4`). */
export const METRICS_CONTENT_TYPE = registry.contentType;

/**
 * Reads what is sampled on scrape (`onScrape`), then renders every metric of the process in the
 * Prometheus text format. A hook that fails leaves its gauges at their last value: a scrape
 * answers even while Redis, say, is away.
 */
export async function renderMetrics(): Promise<string> {
  await Promise.all([...scrapeHooks].map((hook) => hook()));
  return registry.metrics();
}

/** Runs `hook` before each scrape (to set gauges read from elsewhere: a queue's depth); returns how to stop. */
export function onScrape(hook: () => void | Promise<void>): () => void {
  const safe = async (): Promise<void> => {
    try {
      await hook();
    } catch {
      // The gauge keeps its last value; the scrape is answered anyway.
    }
  };
  scrapeHooks.add(safe);
  return () => void scrapeHooks.delete(safe);
}

/** A counter of the process's registry, created on first use (the same one for every caller of the name). */
export function counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) {
    if (!(existing instanceof Counter)) throw new Error(`metric ${name} is already registered as another type`);
    return existing as Counter<L>;
  }
  return new Counter<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

/** A gauge of the process's registry, created on first use. */
export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) {
    if (!(existing instanceof Gauge)) throw new Error(`metric ${name} is already registered as another type`);
    return existing as Gauge<L>;
  }
  return new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
}

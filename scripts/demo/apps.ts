import { startAppProcess, type AppProcess, type HubAppName } from '@hub/testing';

/**
 * Start the hub's apps, each its own process, `parallel` at a time (each boot compiles with swc:
 * two or three at once is what two cores take). Resolves when all say they are serving; on a
 * failure, stops those already up and rejects.
 */
export async function startApps(
  names: readonly HubAppName[],
  envOf: (name: HubAppName) => NodeJS.ProcessEnv,
  { logDir, parallel = 3, onStarted }: { logDir: string; parallel?: number; onStarted?: (app: AppProcess, up: number) => void },
): Promise<Map<HubAppName, AppProcess>> {
  const apps = new Map<HubAppName, AppProcess>();
  const queue = [...names];
  const boot = async (): Promise<void> => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const app = await startAppProcess(name, envOf(name), { logDir, timeoutMs: 180_000 });
      apps.set(name, app);
      onStarted?.(app, apps.size);
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, boot));
  } catch (err) {
    queue.length = 0;
    await Promise.all([...apps.values()].map((a) => a.stop()));
    throw err;
  }
  return apps;
}

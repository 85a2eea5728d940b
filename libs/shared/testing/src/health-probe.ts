import { eventually } from './env';

export interface HealthAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One GET of an app's probe route (`/health/live`, `/health/ready`, `/health`), bounded to 2.5 s. */
export async function probeHealth(url: string, path: string): Promise<HealthAnswer> {
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_500) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Probes `path` until an answer is `wanted`: each readiness check has a 1 s bound per dependency,
 * which one probe may miss on a machine loaded by the whole suite, so a spec waits for the state it
 * asserts rather than taking the first answer.
 */
export function probeUntil(url: string, path: string, wanted: (answer: HealthAnswer) => boolean, what: string): Promise<HealthAnswer> {
  return eventually(
    async () => {
      const answer = await probeHealth(url, path);
      return wanted(answer) ? answer : undefined;
    },
    { what, timeoutMs: 30_000, intervalMs: 250 },
  );
}

/** A 503 naming exactly this one dependency as down (another may miss its bound on one probe: probe again). */
export const onlyDown =
  (dependency: string) =>
  (answer: HealthAnswer): boolean => {
    const problems = answer.body['problems'] as { path: string }[] | undefined;
    return answer.status === 503 && problems?.length === 1 && problems[0]!.path === dependency;
  };

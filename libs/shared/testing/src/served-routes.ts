/**
 * What an HTTP app serves and what its OpenAPI document says it serves, as `METHOD /path` lines
 * (path parameters as `{name}`), so a spec can compare the two: a route added without being
 * documented, or documented without being served, shows as a difference.
 */

/** The app's routes, from Fastify's own route tree (`printRoutes`), without the HEADs Fastify adds to every GET. */
export function servedRoutes(fastify: { printRoutes(options?: { commonPrefix?: boolean }): string }): string[] {
  const routes = new Set<string>();
  const pathAt: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = `${depth === 0 ? '' : pathAt[depth - 1]!}${m[2]!}`;
    pathAt[depth] = path;
    pathAt.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim())) {
      if (method && method !== 'HEAD') routes.add(`${method} ${openApiPath(path)}`);
    }
  }
  return [...routes].sort();
}

/** Every operation of an OpenAPI document. */
export function documentedRoutes(document: { paths: Record<string, Record<string, unknown>> }): string[] {
  const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  return Object.entries(document.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => methods.has(k))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

/** `/t/:tenant/webhooks` as OpenAPI writes it: `/t/{tenant}/webhooks`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

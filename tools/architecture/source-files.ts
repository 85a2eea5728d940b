import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The workspace root. */
export const ROOT = join(__dirname, '..', '..');

/**
 * The production TypeScript sources the architecture specs scan: every `.ts` under apps/ and libs/
 * but specs, declarations, `testing/` and `__fixtures__` (test support may do what apps must not),
 * as workspace-relative paths with `/`.
 */
export function productionSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir))) {
      if (name === 'node_modules' || name === 'testing' || name === '__fixtures__' || name.startsWith('.')) continue;
      const path = `${dir}/${name}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk('apps');
  walk('libs');
  return out;
}

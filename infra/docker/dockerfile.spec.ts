import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Copy, DockerfileParser, Env, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { builtNodeApps, DEPLOYED_APPS, filesUnder, NOT_DEPLOYED, ROOT } from '../deploy-apps';
import { PROBES, probePort } from './healthcheck';

/**
 * infra/docker: every Dockerfile passes dockerfile-utils' linter with every rule an error, and the
 * image it makes is what production needs — a last stage from a Node 20 base holding only the app's
 * bundle and its production dependencies, run as a user that is not root, listening on every
 * interface (else probes from outside the container fail), with the V8 flag the apps run with, glibc's
 * malloc on two arenas, source maps only when asked (NODE_OPTIONS) and a HEALTHCHECK on /health/live
 * through the port the app's env class serves it on.
 */

/** Every rule of dockerfile-utils' validator as an error: a warning fails too. */
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const lintProblems = (text: string): string[] => validate(text, STRICT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);

/** The instructions of the last stage (after its FROM). */
function lastStage(text: string): { image: string; instructions: Instruction[] } {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const last = froms[froms.length - 1];
  if (last === undefined) return { image: '', instructions: [] };
  const start = last.getRange().start.line;
  return { image: last.getImage() ?? '', instructions: dockerfile.getInstructions().filter((i) => i.getRange().start.line > start) };
}

const envOf = (instructions: Instruction[]): Map<string, string> =>
  new Map(
    instructions
      .filter((i): i is Env => i instanceof Env)
      .flatMap((e) => e.getProperties())
      .map((p) => [p.getName(), p.getValue() ?? ''] as const),
  );

/** What is wrong with the image a hub app's Dockerfile builds (beyond the linter). */
export function imageProblems(text: string): string[] {
  const problems: string[] = [];
  const { image, instructions } = lastStage(text);
  const stages = DockerfileParser.parse(text).getFROMs().length;
  if (stages < 2) problems.push(`${stages} stage(s): the build (npm ci, nx build) belongs in a stage of its own`);
  if (!/^node:20(\.\d+)*-(slim|alpine)/.test(image)) problems.push(`the last stage is FROM ${image}, not node:20-slim or node:20-alpine`);
  const of = (keyword: string) => instructions.filter((i) => i.getKeyword() === keyword);
  const text_ = (i: Instruction) => i.getTextContent();

  const users = of('USER');
  const user = users[users.length - 1]?.getArgumentsContent()?.split(':')[0]?.trim();
  if (user === undefined || user === 'root' || user === '0') problems.push(`the last stage runs as ${user ?? 'root (no USER)'}`);
  const cmd = of('CMD')[0];
  if (users.length > 0 && cmd && users[users.length - 1]!.getRange().start.line > cmd.getRange().start.line)
    problems.push('USER comes after CMD');

  for (const copy of [...of('COPY'), ...of('ADD')]) {
    const from = copy instanceof Copy ? copy.getFromFlag()?.getValue() : undefined;
    const sources = (copy.getArgumentsContent() ?? '').split(/\s+/).slice(0, -1);
    if (from === undefined || !sources.every((s) => /^\/workspace\/dist\/apps\/\$\{?APP\}?\/?$/.test(s)))
      problems.push(`the last stage copies more than the app's dist folder: ${text_(copy)}`);
  }
  const installs = of('RUN').flatMap((r) => text_(r).match(/npm (ci|install|i)\b[^;&|]*/g) ?? []);
  if (!installs.some((i) => /^npm ci\b.*--omit=dev/.test(i))) problems.push('the last stage does not install with npm ci --omit=dev');
  for (const i of installs.filter((x) => !x.includes('--omit=dev'))) problems.push(`the last stage installs dev dependencies: ${i}`);

  const env = envOf(instructions);
  for (const name of ['HOST', 'HEALTH_HOST'])
    if (env.get(name) !== '0.0.0.0') problems.push(`${name} is not 0.0.0.0: the app would listen on the container's loopback only`);
  if (env.get('HUB_APP') !== '$APP') problems.push('HUB_APP is not $APP: the HEALTHCHECK cannot tell which port to probe');
  if (env.get('MALLOC_ARENA_MAX') !== '2') problems.push('MALLOC_ARENA_MAX is not 2: glibc keeps up to 8 arenas per core');

  if (!cmd || !/--max-semi-space-size=64\b/.test(text_(cmd)) || !/\bmain\.js\b/.test(text_(cmd)))
    problems.push('CMD does not run main.js with --max-semi-space-size=64');
  if (cmd && /--enable-source-maps\b/.test(text_(cmd)))
    problems.push('CMD enables source maps: 8–34 MiB per process, for who asks (NODE_OPTIONS=--enable-source-maps)');
  const healthchecks = of('HEALTHCHECK');
  if (healthchecks.length !== 1 || !/\bnode\b.*\bhealthcheck\.js\b/.test(text_(healthchecks[0]!)))
    problems.push('the last stage has no HEALTHCHECK running node healthcheck.js');
  return problems;
}

const dockerfiles = filesUnder(join(ROOT, 'infra'), /^Dockerfile(\..+)?$/);
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const APP_DOCKERFILE = 'infra/docker/Dockerfile';

describe('infra/docker', () => {
  it('given the repository, then it has the app Dockerfile (the checks below are not vacuous)', () => {
    expect(dockerfiles).toContain(APP_DOCKERFILE);
  });

  it('given the build list (apps with an esbuild build target), then every one is a deployed app or says why not', () => {
    expect(builtNodeApps()).toEqual([...Object.keys(DEPLOYED_APPS), ...Object.keys(NOT_DEPLOYED)].sort());
  });

  it.each(dockerfiles)('given %s, then the linter finds nothing, every rule an error', (path) => {
    expect(lintProblems(read(path))).toEqual([]);
  });

  it('given the app Dockerfile, then its image holds only the bundle and production dependencies, runs unprivileged and has a health check', () => {
    expect(imageProblems(read(APP_DOCKERFILE))).toEqual([]);
  });

  it('given the app Dockerfile, then its build stage builds $APP with Nx and puts the health check beside main.js', () => {
    const text = read(APP_DOCKERFILE);
    expect(text).toMatch(/npx nx build "\$APP"/);
    expect(text).toMatch(/cp infra\/docker\/healthcheck\.js "dist\/apps\/\$APP\/healthcheck\.js"/);
    // The console the query API serves (QUERY_CONSOLE_DIR=console in compose and k8s) is built into its folder.
    expect(text).toMatch(/npx nx build console && cp -r dist\/apps\/console "dist\/apps\/\$APP\/console"/);
  });

  it('given .dockerignore, then installed, generated and secret files stay out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '.git', '.nx', '.run', '.env', 'infra/kafka/lib']));
  });

  it("given the health check script, then each app's probe port is its env class's default", () => {
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(DEPLOYED_APPS).sort());
    for (const app of Object.values(DEPLOYED_APPS)) {
      expect([app.project, PROBES[app.project]]).toEqual([app.project, { variable: app.probe.variable, port: app.probe.defaultPort }]);
      expect(probePort(app.project, {})).toBe(app.probe.defaultPort);
      expect(probePort(app.project, { [app.probe.variable]: '4321' })).toBe(4321);
    }
    expect(probePort('timeline-projector', { HEALTH_PORT: 'off' })).toBeUndefined();
  });

  describe('the checks can fail', () => {
    const good = read(APP_DOCKERFILE);
    const broken = (from: RegExp | string, to: string) => {
      const text = good.replace(from, to);
      expect(text).not.toBe(good);
      return imageProblems(text);
    };

    it('given a lint problem, then the linter names it', () => {
      expect(lintProblems(`${good}\nworkdir relative\nHEALTHCHECK CMD true\n`).length).toBeGreaterThanOrEqual(2);
    });

    it('given an image that runs as root, has no health check or copies the workspace, then each is named', () => {
      expect(broken(/^USER node$/m, 'USER root')).toEqual([expect.stringContaining('runs as root')]);
      expect(broken(/^USER node\n/m, '')).toEqual([expect.stringContaining('runs as root (no USER)')]);
      expect(broken(/^HEALTHCHECK .*$/m, '')).toEqual([expect.stringContaining('no HEALTHCHECK')]);
      expect(broken(/^(COPY --from=build .*)$/m, '$1\nCOPY . .')).toEqual([expect.stringContaining('copies more than')]);
      expect(broken('--omit=dev --no-audit', '--no-audit')).toEqual(
        expect.arrayContaining([expect.stringContaining('npm ci --omit=dev'), expect.stringContaining('installs dev dependencies')]),
      );
      expect(broken(' HOST=0.0.0.0', '')).toEqual([expect.stringContaining('HOST is not 0.0.0.0')]);
      expect(broken('--max-semi-space-size=64', '--max-semi-space-size=16')).toEqual([expect.stringContaining('CMD')]);
      expect(broken('"--max-semi-space-size=64",', '"--max-semi-space-size=64", "--enable-source-maps",')).toEqual([
        expect.stringContaining('CMD enables source maps'),
      ]);
      expect(broken(' MALLOC_ARENA_MAX=2', '')).toEqual([expect.stringContaining('MALLOC_ARENA_MAX')]);
      expect(broken(/^FROM node:20-slim AS app$/m, 'FROM node:18 AS app')).toEqual([expect.stringContaining('not node:20')]);
    });
  });
});

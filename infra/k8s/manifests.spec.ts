import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { parseAllDocuments, parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import { hubNames, type HubNames } from '@hub/contracts';
import { hubTopicSpecs } from '@hub/messaging';
import { HealthController } from '@hub/platform';
import { builtNodeApps, DEPLOYED_APPS, NOT_DEPLOYED, unknownEnvNames } from '../deploy-apps';

/**
 * infra/k8s: every manifest is a valid Kubernetes object (the API's own schemas, through
 * kubernetes-models), and says what the code does — every deployed app has a Deployment whose probes
 * ask the routes HealthController serves on the port the app's env class listens on, a PDB, a Service
 * when it serves HTTP; the autoscalers of the Kafka consumers stop at their topic's partition count
 * (hubTopicSpecs); every variable a Deployment sets is one its app reads; nothing runs as root.
 */

const DIR = __dirname;
type Manifest = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};
export type Manifests = Record<string, Manifest[]>;

const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

/** The topic whose partitions each autoscaled consumer shares (its consumer group's topic, docs/architecture.md). */
const CONSUMES: Readonly<Record<string, keyof HubNames['topics']>> = {
  'timeline-projector': 'interactions',
  'nba-worker': 'customerEvents',
  'outgoing-webhooks': 'customerEvents',
};
const BOUNDED_BY = 'interaction-hub/bounded-by-topic';
const NOT_APPLIED = new Set(['kustomization.yaml', 'secrets.example.yaml']);

/** The routes `HealthController` declares (`/health/live`, `/health/ready`), read from Nest's metadata. */
function healthRoutes(): { live: string; ready: string } {
  const base = Reflect.getMetadata(PATH_METADATA, HealthController) as string;
  const route = (method: 'live' | 'ready') =>
    `/${base}/${Reflect.getMetadata(PATH_METADATA, HealthController.prototype[method]) as string}`;
  return { live: route('live'), ready: route('ready') };
}

export function loadManifests(): Manifests {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  return Object.fromEntries(
    files.map((f) => {
      const docs = parseAllDocuments(readFileSync(join(DIR, f), 'utf8'));
      for (const d of docs) if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      return [f, docs.map((d) => d.toJS() as Manifest).filter((m) => m !== null)];
    }),
  );
}

const all = (manifests: Manifests, kind: string) =>
  Object.entries(manifests).flatMap(([file, docs]) => docs.filter((d) => d.kind === kind).map((d) => ({ file, doc: d })));

/** What the API server would refuse: each object against its kind's schema. */
export function schemaProblems(manifests: Manifests): string[] {
  return Object.entries(manifests).flatMap(([file, docs]) =>
    docs
      .filter((d) => d.kind !== 'Kustomization')
      .flatMap((doc) => {
        const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
        if (!model) return [`${file}: ${doc.apiVersion}/${doc.kind} is not a kind these checks know`];
        try {
          new model(doc as never).validate();
          return [];
        } catch (err) {
          return [`${file}: ${doc.kind} ${doc.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`];
        }
      }),
  );
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** What the manifests get wrong about the apps they run. */
export function semanticProblems(manifests: Manifests): string[] {
  const problems: string[] = [];
  const routes = healthRoutes();
  const configMaps = new Map(
    all(manifests, 'ConfigMap').map(({ doc }) => [doc.metadata?.name, (doc as { data?: Record<string, string> }).data ?? {}]),
  );
  const secrets = new Map(
    all(manifests, 'Secret').map(({ doc }) => {
      const s = doc as { data?: Record<string, string>; stringData?: Record<string, string> };
      return [doc.metadata?.name, { ...s.data, ...s.stringData }];
    }),
  );
  const deployments = all(manifests, 'Deployment').map(({ file, doc }) => ({ file, d: doc as IDeployment }));
  const services = all(manifests, 'Service').map(({ doc }) => doc as IService);
  const pdbs = all(manifests, 'PodDisruptionBudget').map(({ doc }) => doc as IPodDisruptionBudget);
  const hpas = all(manifests, 'HorizontalPodAutoscaler').map(({ doc }) => doc as IHorizontalPodAutoscaler);

  for (const project of builtNodeApps())
    if (!(project in NOT_DEPLOYED) && !deployments.some(({ d }) => d.metadata?.labels?.['app.kubernetes.io/component'] === project))
      problems.push(`${project} has no Deployment (app.kubernetes.io/component: ${project})`);

  // The images run with NODE_ENV=production: apps that open the store refuse to boot with a migration
  // pending, so the manifests carry the Job that runs `hub migrate up` from the CLI's image.
  const migrations = all(manifests, 'Job').filter(({ doc }) => {
    const c = (doc as IJob).spec?.template.spec?.containers[0];
    return (
      c?.image?.startsWith('interaction-hub/hub-cli:') && [...(c.command ?? []), ...(c.args ?? [])].slice(-2).join(' ') === 'migrate up'
    );
  });
  if (migrations.length !== 1) problems.push(`one Job must run \`hub migrate up\` from the hub-cli image (found ${migrations.length})`);

  const resources = new Set<string>();
  for (const { file, d } of deployments) {
    const name = d.metadata?.name ?? '?';
    const where = `${file}: Deployment ${name}`;
    const project = d.metadata?.labels?.['app.kubernetes.io/component'] ?? '';
    const app = DEPLOYED_APPS[project];
    if (!app) {
      problems.push(`${where}: app.kubernetes.io/component ${project} is not a deployed app`);
      continue;
    }
    const pod = d.spec?.template.spec;
    const podLabels = d.spec?.template.metadata?.labels;
    if (!matches(d.spec?.selector.matchLabels, podLabels)) problems.push(`${where}: its selector does not select its pods`);
    const container: IContainer | undefined = pod?.containers[0];
    if (!pod || !container || pod.containers.length !== 1) {
      problems.push(`${where}: one container expected`);
      continue;
    }
    if (!container.image?.startsWith(`interaction-hub/${project}:`))
      problems.push(`${where}: image ${container.image} is not interaction-hub/${project}`);

    // Non-root: the pod says so, and the container cannot gain privileges.
    if (pod.securityContext?.runAsNonRoot !== true || !pod.securityContext.runAsUser)
      problems.push(`${where}: not runAsNonRoot with a non-zero runAsUser`);
    if (container.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);

    // The environment: every variable a name the app reads; every reference made.
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      const ref = from.configMapRef?.name ?? from.secretRef?.name;
      const data = from.configMapRef ? configMaps.get(ref) : secrets.get(ref);
      if (!data) problems.push(`${where}: envFrom names ${ref}, which no manifest (or secrets.example.yaml) defines`);
      Object.assign(env, data);
    }
    for (const e of container.env ?? []) env[e.name] = e.value ?? '';
    for (const unknown of unknownEnvNames(app, env)) problems.push(`${where}: ${unknown} is not a variable ${project} reads`);

    // Probes: HealthController's routes, on the port the app serves them on (its variable, else its env class's default).
    const probePort = env[app.probe.variable] !== undefined ? Number(env[app.probe.variable]) : app.probe.defaultPort;
    const portOf = (port: number | string | undefined) =>
      typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
    for (const [kind, path] of [
      ['livenessProbe', routes.live],
      ['startupProbe', routes.live],
      ['readinessProbe', routes.ready],
    ] as const) {
      const probe = container[kind]?.httpGet;
      if (!probe) problems.push(`${where}: no ${kind} (httpGet)`);
      else if (probe.path !== path || portOf(probe.port) !== probePort)
        problems.push(
          `${where}: ${kind} asks ${probe.path} on ${portOf(probe.port) ?? probe.port}; ${project} serves ${path} on ${probePort} (${app.probe.variable})`,
        );
    }

    // Resources: requests and limits, the same figures for every app (one measured RSS per Node process).
    const r = container.resources;
    if (!r?.requests?.['cpu'] || !r.requests['memory'] || !r.limits?.['memory'])
      problems.push(`${where}: cpu and memory requests and a memory limit expected`);
    resources.add(JSON.stringify(r ?? null));

    // A PDB for every app, a Service for every one that serves HTTP.
    if (!pdbs.some((p) => matches(p.spec?.selector?.matchLabels, podLabels)))
      problems.push(`${where}: no PodDisruptionBudget selects its pods`);
    const service = services.find((s) => matches(s.spec?.selector, podLabels));
    if (app.probe.variable === 'PORT' && (!service || !service.spec?.ports?.every((p) => portOf(p.targetPort) === probePort)))
      problems.push(`${where}: no Service sends to its port ${probePort}`);

    // Consumers of partitioned topics autoscale, up to the partition count.
    const topic = CONSUMES[project];
    if (topic && !hpas.some((h) => h.spec?.scaleTargetRef.name === name && h.metadata?.annotations?.[BOUNDED_BY] === topic))
      problems.push(`${where}: no HorizontalPodAutoscaler bounded by ${topic}`);
  }
  if (resources.size > 1)
    problems.push(`the Deployments' resources differ (update every one from the RSS benchmark): ${[...resources].join(' / ')}`);

  const names = hubNames();
  const partitions = new Map(hubTopicSpecs(names).map((t) => [t.topic, t.numPartitions ?? 1]));
  for (const h of hpas) {
    const where = `HorizontalPodAutoscaler ${h.metadata?.name}`;
    if (!deployments.some(({ d }) => d.metadata?.name === h.spec?.scaleTargetRef.name))
      problems.push(`${where}: scales no Deployment of these manifests`);
    const key = h.metadata?.annotations?.[BOUNDED_BY] as keyof HubNames['topics'] | undefined;
    const count = key && key in names.topics ? partitions.get(names.topics[key]) : undefined;
    if (count === undefined) problems.push(`${where}: ${BOUNDED_BY} must name a hub topic (${Object.keys(names.topics).join(', ')})`);
    else if ((h.spec?.maxReplicas ?? Infinity) > count)
      problems.push(`${where}: maxReplicas ${h.spec?.maxReplicas} > ${count} partitions of ${names.topics[key!]}`);
  }
  return problems;
}

/** kustomization.yaml applies every manifest but the secrets' example, and sets every Deployment's image. */
export function kustomizationProblems(
  manifests: Manifests,
  kustomization: { resources?: string[]; images?: { name: string }[] },
): string[] {
  const problems: string[] = [];
  const applied = Object.keys(manifests).filter((f) => !NOT_APPLIED.has(f));
  const listed = kustomization.resources ?? [];
  for (const f of applied) if (!listed.includes(f)) problems.push(`${f} is not in kustomization.yaml's resources`);
  for (const f of listed) if (!applied.includes(f)) problems.push(`kustomization.yaml lists ${f}, which is not a manifest here`);
  const images = new Set((kustomization.images ?? []).map((i) => i.name));
  for (const { doc } of all(manifests, 'Deployment')) {
    const image = (doc as IDeployment).spec?.template.spec?.containers[0]?.image?.split(':')[0];
    if (image && !images.has(image)) problems.push(`kustomization.yaml's images do not set ${image}`);
  }
  return problems;
}

const manifests = loadManifests();
const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources?: string[]; images?: { name: string }[] };
const clone = (): Manifests => structuredClone(manifests);
const find = (m: Manifests, file: string, kind: string) => m[file]!.find((d) => d.kind === kind)! as Record<string, never>;

describe('infra/k8s', () => {
  it('given the manifests, then they hold a Deployment per deployed app and the other kinds (the checks are not vacuous)', () => {
    expect(all(manifests, 'Deployment').length).toBeGreaterThanOrEqual(Object.keys(DEPLOYED_APPS).length);
    for (const kind of ['Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'ConfigMap', 'Secret'])
      expect([kind, all(manifests, kind).length > 0]).toEqual([kind, true]);
    expect(healthRoutes()).toEqual({ live: '/health/live', ready: '/health/ready' });
  });

  it('given every manifest, then it is valid against its kind’s Kubernetes schema', () => {
    expect(schemaProblems(manifests)).toEqual([]);
  });

  it('given the Deployments, HPAs, PDBs and Services, then they agree with the apps’ code', () => {
    expect(semanticProblems(manifests)).toEqual([]);
  });

  it('given kustomization.yaml, then it applies every manifest and sets every image', () => {
    expect(kustomizationProblems(manifests, kustomization)).toEqual([]);
  });

  describe('the checks can fail', () => {
    it('given an object the API would refuse, then the schema check names it', () => {
      const m = clone();
      (find(m, 'query-api.yaml', 'Deployment')['spec'] as { replicas: unknown }).replicas = 'two';
      expect(schemaProblems(m)).toEqual([expect.stringContaining('replicas must be integer')]);
    });

    it('given a probe on the wrong port or path, an unknown variable, root, or an HPA past the partitions, then each is named', () => {
      const m = clone();
      const projector = find(m, 'timeline-projector.yaml', 'Deployment') as unknown as IDeployment;
      const container = projector.spec!.template.spec!.containers[0]!;
      container.ports![0]!.containerPort = 3102;
      container.env = [{ name: 'HEALTH_PROT', value: '3101' }];
      projector.spec!.template.spec!.securityContext!.runAsNonRoot = false;
      (
        find(m, 'query-api.yaml', 'Deployment') as unknown as IDeployment
      ).spec!.template.spec!.containers[0]!.readinessProbe!.httpGet!.path = '/ready';
      (find(m, 'nba-worker.yaml', 'HorizontalPodAutoscaler') as unknown as IHorizontalPodAutoscaler).spec!.maxReplicas = 7;
      const problems = semanticProblems(m);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /timeline-projector: livenessProbe asks \/health\/live on 3102; timeline-projector serves \/health\/live on 3101/,
          ),
          expect.stringContaining('HEALTH_PROT is not a variable timeline-projector reads'),
          expect.stringContaining('timeline-projector: not runAsNonRoot'),
          expect.stringMatching(/query-api: readinessProbe asks \/ready on 3100/),
          expect.stringContaining('maxReplicas 7 > 6 partitions of hub.customer-events.v1'),
        ]),
      );
    });

    it('given an app without a Deployment, PDB or Service, or with other resources, then each is named', () => {
      const m = clone();
      m['ingest-api.yaml'] = m['ingest-api.yaml']!.filter((d) => d.kind !== 'Deployment');
      m['query-api.yaml'] = m['query-api.yaml']!.filter((d) => d.kind === 'Deployment');
      const worker = find(m, 'nba-worker.yaml', 'Deployment') as unknown as IDeployment;
      worker.spec!.template.spec!.containers[0]!.resources!.requests!['memory'] = '1Gi';
      expect(semanticProblems(m)).toEqual(
        expect.arrayContaining([
          'ingest-api has no Deployment (app.kubernetes.io/component: ingest-api)',
          expect.stringContaining('query-api: no PodDisruptionBudget'),
          expect.stringContaining('query-api: no Service'),
          expect.stringContaining("the Deployments' resources differ"),
        ]),
      );
    });

    it('given no migration Job, or one that does not run `hub migrate up`, then it is named', () => {
      const without = clone();
      delete without['migrate-job.yaml'];
      expect(semanticProblems(without)).toEqual(['one Job must run `hub migrate up` from the hub-cli image (found 0)']);
      const status = clone();
      (find(status, 'migrate-job.yaml', 'Job') as unknown as IJob).spec!.template.spec!.containers[0]!.command = [
        'node',
        'main.js',
        'migrate',
        'status',
      ];
      expect(semanticProblems(status)).toEqual(['one Job must run `hub migrate up` from the hub-cli image (found 0)']);
    });

    it('given a manifest left out of the kustomization, then it is named', () => {
      expect(
        kustomizationProblems(manifests, { ...kustomization, resources: kustomization.resources!.filter((r) => r !== 'nba-worker.yaml') }),
      ).toEqual(["nba-worker.yaml is not in kustomization.yaml's resources"]);
    });
  });
});

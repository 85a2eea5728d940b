// Types of healthcheck.js (plain CommonJS, so it runs in the image without the workspace's TypeScript).
export declare const PROBES: Readonly<Record<string, { variable: 'PORT' | 'HEALTH_PORT'; port: number }>>;
export declare function probePort(app: string, env: NodeJS.ProcessEnv): number | undefined;

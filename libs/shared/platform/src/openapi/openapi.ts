import { dirname } from 'node:path';
import { applyDecorators } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HealthController } from '../health/health.controller';
import {
  ApiBearerAuth,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiSecurity,
  ApiTags,
  loadSwagger,
} from './deferred-swagger';

/**
 * Every HTTP app's OpenAPI document, generated from its controllers' decorators (explicit
 * `@ApiTags`/`@ApiOperation`/`@ApiResponse`: the apps run through swc without the Nest CLI, so the
 * swagger CLI plugin cannot infer anything) when it is first asked for: @nestjs/swagger is loaded
 * then, not at boot (./deferred-swagger). The UI is at `/docs`, the document at `/docs/json`; both
 * are public (no API key) and limited per client address like the app's other routes.
 */
export const DOCS_PATH = '/docs';
export const DOCS_JSON_PATH = '/docs/json';

/** The security schemes' names in every document: the same key, as a bearer token or in `X-API-Key`. */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_HEADER_SCHEME = 'x-api-key';

/** A request for the docs (the UI, its assets or the document), by the route it matched. */
export function isDocsRequest(req: FastifyRequest): boolean {
  const url = req.routeOptions.url ?? req.url;
  return url === DOCS_PATH || url.startsWith(`${DOCS_PATH}/`);
}

export interface OpenApiInfo {
  title: string;
  description: string;
  version: string;
  /** Whether the app takes API keys (`Authorization: Bearer <key>` or `X-API-Key`): declares both schemes. */
  apiKeys: boolean;
  /** What the bearer may be, when more than an API key (the query API's OpenID Connect access tokens). */
  bearerDescription?: string;
}

/**
 * The shared probes (`HealthController` of this lib, which workers serve too) described here rather
 * than where they are declared, so only the HTTP apps describe them (the workers serve them too).
 */
let healthProbesDocumented = false;
function documentHealthProbes(): void {
  // Once per process: decorators add to what is there (tags would be listed once per app started).
  if (healthProbesDocumented) return;
  healthProbesDocumented = true;
  const decorate = (method: 'live' | 'ready', ...decorators: MethodDecorator[]) => {
    const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, method)!;
    for (const decorator of decorators) decorator(HealthController.prototype, method, descriptor);
  };
  ApiTags('operations')(HealthController);
  decorate(
    'live',
    ApiOperation({ summary: 'Liveness: the process serves requests (asks no dependency); open, not rate-limited' }),
    ApiResponse({ status: 200, description: 'terminus `{status: ok, info, details}`' }),
  );
  decorate(
    'ready',
    ApiOperation({ summary: 'Readiness: every dependency answers within its bound; open, not rate-limited' }),
    ApiResponse({ status: 200, description: 'terminus `{status: ok, info, details}`, each dependency with its details' }),
    ApiResponse({ status: 503, description: '`not_ready`: one problem per dependency down, in the one error shape', type: ApiErrorBody }),
  );
}

/**
 * Serves the app's document and the UI (routes added before `listen`). The document is built from the
 * app's controllers on the first request for it, loading @nestjs/swagger then; the UI's page and its
 * script are ours, its assets swagger-ui-dist's (the package @nestjs/swagger serves them from).
 */
export function serveOpenApi(app: NestFastifyApplication, info: OpenApiInfo): void {
  documentHealthProbes();
  let document: string | undefined;
  const documentJson = (): string => (document ??= JSON.stringify(buildDocument(app, info)));
  const adapter = app.getHttpAdapter();
  adapter.get(DOCS_JSON_PATH, (_req: FastifyRequest, res: FastifyReply) => res.type('application/json').send(documentJson()));
  adapter.get(`${DOCS_PATH}/swagger-ui-init.js`, (_req: FastifyRequest, res: FastifyReply) =>
    res.type('application/javascript').send(swaggerUiInit(documentJson())),
  );
  // Relative links, so the page works behind a proxy that adds a prefix: from `/docs` they are
  // `./docs/…`, from `/docs/` and `/docs/index.html` `./…`.
  const page = (base: string) => (_req: FastifyRequest, res: FastifyReply) => res.type('text/html').send(swaggerUiPage(info.title, base));
  adapter.get(DOCS_PATH, page(`.${DOCS_PATH}/`));
  adapter.get(`${DOCS_PATH}/`, page('./'));
  adapter.get(`${DOCS_PATH}/index.html`, page('./'));
  app.useStaticAssets({ root: swaggerUiAssets(), prefix: DOCS_PATH, decorateReply: false });
}

function buildDocument(app: NestFastifyApplication, info: OpenApiInfo): OpenAPIObject {
  const { DocumentBuilder, SwaggerModule } = loadSwagger();
  let builder = new DocumentBuilder().setTitle(info.title).setDescription(info.description).setVersion(info.version);
  if (info.apiKeys)
    builder = builder
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', description: info.bearerDescription ?? 'The API key as a bearer token' },
        BEARER_SCHEME,
      )
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The API key in its own header' }, API_KEY_HEADER_SCHEME);
  return SwaggerModule.createDocument(app, builder.build());
}

/** The folder of swagger-ui-dist's assets, found from @nestjs/swagger (whose dependency it is) without loading either. */
function swaggerUiAssets(): string {
  const fromSwagger = { paths: [dirname(require.resolve('@nestjs/swagger'))] };
  return dirname(require.resolve('swagger-ui-dist/package.json', fromSwagger));
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** swagger-ui-dist's own index.html, with its scripts and styles from `base` and our init script. */
function swaggerUiPage(title: string, base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" type="text/css" href="${base}swagger-ui.css">
  <link rel="stylesheet" type="text/css" href="${base}index.css">
  <link rel="icon" type="image/png" href="${base}favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${base}favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}swagger-ui-bundle.js" charset="UTF-8"></script>
  <script src="${base}swagger-ui-standalone-preset.js" charset="UTF-8"></script>
  <script src="${base}swagger-ui-init.js" charset="UTF-8"></script>
</body>
</html>
`;
}

/** The UI's start, with the document in it (as @nestjs/swagger's own init script has it: no second request). */
function swaggerUiInit(documentJson: string): string {
  return `window.onload = function () {
  window.ui = SwaggerUIBundle({
    spec: ${documentJson.replace(/</g, '\\u003c')},
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
`;
}

/** A route that needs an API key: either scheme (the same key). */
export const ApiKeyAuth = (): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiBearerAuth(BEARER_SCHEME), ApiSecurity(API_KEY_HEADER_SCHEME));

/** One thing wrong with a request (`ApiProblem` of @hub/contracts). */
export class ApiProblem {
  @ApiProperty({ type: String, description: 'The field at fault, or `(request)`', example: 'data.occurredAt' }) path!: string;
  @ApiProperty({ type: String, description: 'A stable code', example: 'isIso8601' }) code!: string;
  @ApiProperty({ type: String, example: 'data.occurredAt must be a valid ISO 8601 date string' }) message!: string;
}

/**
 * The one error body of the generic ingest API (`ApiErrorBody` of @hub/contracts): every refusal,
 * 4xx and 503, with details of its own beside these fields (`limitBytes`, `retryAfterSeconds`, …).
 */
export class ApiErrorBody {
  @ApiProperty({ type: String, description: 'A stable code (what /metrics counts and the logs say)', example: 'invalid_event' })
  error!: string;
  @ApiProperty({ type: String, description: 'For a person', example: 'the event is not valid: see problems (every one found)' })
  message!: string;
  @ApiProperty({ type: [ApiProblem], description: 'Every problem found (all at once); empty when the request as a whole is refused' })
  problems!: ApiProblem[];
}

/** A field that failed validation, and why. */
export class FieldProblems {
  @ApiProperty({ type: String, example: 'customerIds' }) field!: string;
  @ApiProperty({ type: [String], example: ['customerIds must contain at least 2 elements'] }) messages!: string[];
}

/**
 * The refusals of the query API and of the webhooks: a stable `error` code with a `reason`, or the
 * failing `fields` (`validation_failed`); some add details (`limit`, `retryAfterSeconds`, `scope`, …).
 */
export class HubError {
  @ApiProperty({ type: String, description: 'A stable code', example: 'not_found' }) error!: string;
  @ApiPropertyOptional({ type: String, example: 'unknown customer' }) reason?: string;
  @ApiPropertyOptional({ type: [FieldProblems], description: 'With `validation_failed`: every failing field' })
  fields?: FieldProblems[];
}

/** The refusals a route may answer, each with its description, in one error body. */
export function ApiErrors(body: typeof ApiErrorBody | typeof HubError, statuses: Readonly<Record<number, string>>): MethodDecorator {
  return applyDecorators(
    ...Object.entries(statuses).map(([status, description]) => ApiResponse({ status: Number(status), description, type: body })),
  );
}

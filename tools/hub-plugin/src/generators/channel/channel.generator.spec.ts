import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { CHANNELS_ALIAS, channelGenerator, formatterConfigured, normalizeOptions, SHARED_FILES } from './channel.generator';
import { deterministicIdLike } from './fixtures';
import { lineDiff } from './line-diff';

/**
 * The generator against an in-memory Tree seeded with this workspace's own registry files, so the
 * anchors it edits are the ones in the repository today. The scratch-workspace test
 * (channel.generator.int.spec.ts) then proves the result compiles and passes its tests.
 */

const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');
const SEEDED = Object.values(SHARED_FILES);

function workspaceTree(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.delete('.oxfmtrc.json'); // an empty Nx workspace's formatter; .prettierrc.json is not seeded: formatFiles (prettier through a dynamic import()) cannot run under Jest
  for (const file of SEEDED) tree.write(file, readFileSync(join(WORKSPACE, file), 'utf8'));
  return tree;
}

/** The tree's changes, as the files an `nx g` would list. */
const changed = (tree: Tree) =>
  tree
    .listChanges()
    .map((c) => `${c.type} ${c.path}`)
    .sort();
const original = (file: string) => readFileSync(join(WORKSPACE, file), 'utf8');

/** Everything under the new channel's one folder. */
const IN_CHANNEL_FOLDER = /^libs\/ingest\/channels\/line-chat\//;

describe('channelGenerator', () => {
  describe("given this workspace's registry files", () => {
    describe('when it scaffolds line-chat for the provider line', () => {
      let tree: Tree;
      beforeAll(async () => {
        tree = workspaceTree();
        await channelGenerator(tree, { name: 'line-chat', provider: 'line' });
      });

      it('then CHANNEL_IDS gains the id, at the end, and nothing else changes in that file', () => {
        const before = original(SHARED_FILES.channelIds);
        const after = tree.read(SHARED_FILES.channelIds, 'utf-8')!;
        expect(after).toBe(before.replace(/(export const CHANNEL_IDS = \[[^\]]*)\] as const;/, "$1, 'line-chat'] as const;"));
        expect(after).not.toBe(before);
      });

      it("then the registry's channels.ts gains one line, exporting the definition under the id (a string for a kebab-case id)", () => {
        expect(lineDiff(original(SHARED_FILES.registry), tree.read(SHARED_FILES.registry, 'utf-8')!)).toEqual({
          added: ["export { lineChatChannel as 'line-chat' } from '@hub/channels-line-chat';"],
          removed: [],
        });
      });

      it("then the registry's testing/setups.ts gains one line, exporting the test setup under the id", () => {
        expect(lineDiff(original(SHARED_FILES.registryTesting), tree.read(SHARED_FILES.registryTesting, 'utf-8')!)).toEqual({
          added: ["export { lineChatTestSetup as 'line-chat' } from '@hub/channels-line-chat/testing';"],
          removed: [],
        });
      });

      it('then tsconfig.base.json is untouched: its @hub/channels-* alias already resolves the library and its testing entry', () => {
        expect(tree.read(SHARED_FILES.tsconfig, 'utf-8')).toBe(original(SHARED_FILES.tsconfig));
        const paths = (JSON.parse(original(SHARED_FILES.tsconfig)) as { compilerOptions: { paths: Record<string, string[]> } })
          .compilerOptions.paths;
        expect(paths).toMatchObject(CHANNELS_ALIAS);
        expect(tree.read('libs/ingest/channels/line-chat/index.ts', 'utf-8')).toContain("export * from './src/index';");
        expect(tree.read('libs/ingest/channels/line-chat/testing/index.ts', 'utf-8')).toContain("export * from '../src/testing/index';");
      });

      it('then it touches one folder plus three lines elsewhere: one in each of the three registration files, no other line', async () => {
        const fresh = workspaceTree();
        const contents = (t: Tree) => new Map(t.listChanges().map((c) => [c.path, c.content?.toString('utf8')]));
        const before = contents(fresh);
        await channelGenerator(fresh, { name: 'line-chat', provider: 'line' });
        const after = contents(fresh);
        const touched = [...after].filter(([path, content]) => before.get(path) !== content).map(([path]) => path);
        expect([...before.keys()].filter((path) => !after.has(path))).toEqual([]);
        const outside = touched.filter((path) => !IN_CHANNEL_FOLDER.test(path)).sort();
        expect(outside).toEqual([SHARED_FILES.registry, SHARED_FILES.registryTesting, SHARED_FILES.channelIds].sort());
        const diffs = outside.map((path) => lineDiff(before.get(path) ?? '', after.get(path) ?? ''));
        // A line added to each registration file, and CHANNEL_IDS's one line changed in place (the test above).
        expect(diffs.flatMap((d) => d.added)).toHaveLength(3);
        expect(diffs.flatMap((d) => d.removed)).toEqual([expect.stringMatching(/^export const CHANNEL_IDS = \[/)]);
        expect(touched.filter((path) => IN_CHANNEL_FOLDER.test(path))).toHaveLength(14);
      });

      it('then the library files are created, with the tags and entry points of every channel, and no app: the ingestion program serves it', () => {
        const created = tree.listChanges().filter((c) => c.type === 'CREATE' && IN_CHANNEL_FOLDER.test(c.path));
        expect(created).toHaveLength(14);
        expect(JSON.parse(tree.read('libs/ingest/channels/line-chat/project.json', 'utf-8')!)).toMatchObject({
          name: 'channels-line-chat',
          tags: ['stage:ingest', 'type:channel'],
        });
        expect(tree.exists('apps/ingest/line-chat')).toBe(false);
      });

      it('then the manifest, config and signature header are named after the channel and the provider', () => {
        const adapter = tree.read('libs/ingest/channels/line-chat/src/line-chat.adapter.ts', 'utf-8')!;
        expect(adapter).toContain("id: 'line-chat',");
        expect(adapter).toContain("provider: 'line',");
        expect(adapter).toContain("route: { method: 'POST', path: '/webhooks/line-chat' },");
        expect(adapter).toContain("export const LINE_CHAT_SIGNATURE_HEADER = 'x-line-signature';");
        expect(adapter).toContain('safeEqual(');
        expect(tree.read('libs/ingest/channels/line-chat/src/line-chat.config.ts', 'utf-8')).toContain(
          '@IsString() @IsNotEmpty() LINE_WEBHOOK_SECRET!: string;',
        );
        expect(tree.read('libs/ingest/channels/line-chat/src/index.ts', 'utf-8')).toContain(
          'export const lineChatChannel = defineChannel({',
        );
      });

      it('then the valid fixture expects the deterministic id of the channel, the provider and the message id', () => {
        const fixture = JSON.parse(tree.read('libs/ingest/channels/line-chat/src/__fixtures__/valid/text-message.json', 'utf-8')!) as {
          payload: { messageId: string };
          expected: { events: { metadata: { eventId: string; channel: string } }[] };
        };
        const namespace = /HUB_ID_NAMESPACE = '([^']+)'/.exec(original(SHARED_FILES.ids))![1]!;
        expect(fixture.expected.events[0]!.metadata).toMatchObject({
          eventId: deterministicIdLike(namespace, 'line-chat', 'line', fixture.payload.messageId),
          channel: 'line-chat',
        });
      });

      it('then a second run is refused, naming everything that exists, and changes nothing more', async () => {
        const state = tree.listChanges().map((c) => [c.path, c.content?.toString('utf8')]);
        await expect(channelGenerator(tree, { name: 'line-chat', provider: 'line' })).rejects.toThrow(
          `channel "line-chat" already exists (libs/ingest/channels/line-chat/ exists; CHANNEL_IDS already has 'line-chat'; ${SHARED_FILES.registry} already registers line-chat; ${SHARED_FILES.registryTesting} already registers line-chat). Nothing was changed.`,
        );
        expect(tree.listChanges().map((c) => [c.path, c.content?.toString('utf8')])).toEqual(state);
      });
    });

    describe('when the channel exists only in part (its id in CHANNEL_IDS, nothing else)', () => {
      it('then it is refused, naming that, and nothing is written', async () => {
        const tree = workspaceTree();
        tree.write(SHARED_FILES.channelIds, original(SHARED_FILES.channelIds).replace("['sms',", "['sms', 'line-chat',"));
        const before = changed(tree);
        await expect(channelGenerator(tree, { name: 'line-chat' })).rejects.toThrow(
          'channel "line-chat" already exists (CHANNEL_IDS already has \'line-chat\')',
        );
        expect(changed(tree)).toEqual(before);
        expect(tree.exists('libs/ingest/channels/line-chat')).toBe(false);
      });
    });

    describe('when an existing channel is asked for again', () => {
      it('then it is refused', async () => {
        await expect(channelGenerator(workspaceTree(), { name: 'sms' })).rejects.toThrow(
          `channel "sms" already exists (CHANNEL_IDS already has 'sms'; ${SHARED_FILES.registry} already registers sms; ${SHARED_FILES.registryTesting} already registers sms)`,
        );
      });
    });

    describe('when a registration file no longer has the lines the generator appends to', () => {
      it('then it fails naming the file and what it looked for, before writing anything', async () => {
        const tree = workspaceTree();
        tree.write(SHARED_FILES.registryTesting, 'export const CHANNEL_TEST_SETUPS = {};\n');
        const before = changed(tree);
        await expect(channelGenerator(tree, { name: 'line-chat' })).rejects.toThrow(
          `${SHARED_FILES.registryTesting}: cannot find an \`export { … } from '…';\` line`,
        );
        expect(changed(tree)).toEqual(before);
      });
    });

    describe('when tsconfig.base.json has no @hub/channels-* alias', () => {
      it('then it fails naming the alias it relies on, before writing anything', async () => {
        const tree = workspaceTree();
        tree.write(SHARED_FILES.tsconfig, original(SHARED_FILES.tsconfig).replace('"@hub/channels-*"', '"@hub/channels-old-*"'));
        const before = changed(tree);
        await expect(channelGenerator(tree, { name: 'line-chat' })).rejects.toThrow(
          'tsconfig.base.json: cannot find the path "@hub/channels-*": ["libs/ingest/channels/*"]',
        );
        expect(changed(tree)).toEqual(before);
      });
    });

    describe('when no formatter is configured (a workspace without a prettier config; this one has .prettierrc.json, which nx g then runs, see the .int.spec)', () => {
      it('then formatFiles is not run and the files are as the templates and edits wrote them', async () => {
        const tree = workspaceTree();
        tree.write('package.json', original('package.json'));
        expect(formatterConfigured(tree)).toBe(false);
        await channelGenerator(tree, { name: 'line-chat', provider: 'line' });
        expect(tree.read(SHARED_FILES.channelIds, 'utf-8')).toMatch(/export const CHANNEL_IDS = \['sms'.*'line-chat'\] as const;/);
      });
    });
  });

  // formatFiles itself loads prettier with a dynamic import(), which Jest's CommonJS runtime cannot
  // run: whether the generator calls it is what is tested here.
  describe('formatterConfigured', () => {
    it.each([
      ['a .prettierrc', '.prettierrc', '{}'],
      ['a prettier.config.mjs', 'prettier.config.mjs', 'export default {};'],
      ['an .oxfmtrc.json', '.oxfmtrc.json', '{}'],
      ['a "prettier" key in package.json', 'package.json', JSON.stringify({ name: 'x', prettier: { singleQuote: true } })],
    ])('then %s configures one', (_what, file, content) => {
      const tree = workspaceTree();
      tree.write(file, content);
      expect(formatterConfigured(tree)).toBe(true);
    });
  });

  describe('normalizeOptions', () => {
    it('then the provider defaults to the channel id, the route to /webhooks/<id> and the display name to the id in title case', () => {
      expect(normalizeOptions({ name: 'line-chat' })).toMatchObject({
        provider: 'line-chat',
        providerConstant: 'LINE_CHAT',
        route: '/webhooks/line-chat',
        displayName: 'Line Chat',
        className: 'LineChat',
        propertyName: 'lineChat',
        constantName: 'LINE_CHAT',
        docsUrlIsPlaceholder: true,
      });
    });

    it('then a provider other than the channel shows in the default display name', () => {
      expect(normalizeOptions({ name: 'chat', provider: 'line-works' })).toMatchObject({
        displayName: 'Chat (Line Works)',
        providerConstant: 'LINE_WORKS',
      });
    });

    it.each([
      ['LineChat', 'kebab-case'],
      ['line_chat', 'kebab-case'],
      ['1chat', 'kebab-case'],
      ['core', 'reserved'],
      ['registry', 'reserved'],
    ])('then the name %j is refused (%s)', (name, why) => {
      expect(() => normalizeOptions({ name })).toThrow(why);
    });

    it.each([
      [{ name: 'chat', provider: 'Line' }, 'provider'],
      [{ name: 'chat', route: 'webhooks/chat' }, 'route'],
      [{ name: 'chat', displayName: "Dana's chat" }, 'displayName'],
      [{ name: 'chat', docsUrl: 'http://example.com' }, 'docsUrl'],
    ])('then %j is refused, naming %s', (options, field) => {
      expect(() => normalizeOptions(options)).toThrow(field);
    });
  });
});

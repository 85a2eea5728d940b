// The esbuild settings every Node app's `build` target adds (project.json → esbuildConfig).
//
// esbuild bundles the app's own code and the workspace libs it imports (tsconfig paths) into one
// `main.js`, leaving node_modules external (the generated package.json lists them). What esbuild
// cannot do is emit TypeScript's decorator metadata (`design:paramtypes`, `design:type`), which NestJS's
// dependency injection and class-validator/class-transformer read at run time. So every TypeScript
// file that holds a decorator is compiled by swc first, with exactly the options `@swc-node/register`
// derives from tsconfig.base.json for development runs (legacy decorators, metadata,
// define-semantics class fields at ES2022, class names kept), and handed to esbuild as JavaScript;
// files without decorators take esbuild's own TypeScript loader.
const { readFile } = require('node:fs/promises');
const { transform } = require('@swc/core');

const DECORATOR = /^\s*@[A-Za-z_$]/m;

/** @type {import('esbuild').Plugin} */
const swcDecoratorMetadata = {
  name: 'swc-decorator-metadata',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!DECORATOR.test(source)) return undefined;
      const out = await transform(source, {
        filename: args.path,
        swcrc: false,
        configFile: false,
        sourceMaps: 'inline',
        inlineSourcesContent: true,
        isModule: true,
        module: { type: 'es6' },
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
          keepClassNames: true,
        },
      });
      return { contents: out.code, loader: 'js', resolveDir: require('node:path').dirname(args.path) };
    });
  },
};

module.exports = {
  plugins: [swcDecoratorMetadata],
  // Class names stay (Nest names providers and logs by them; class-validator's messages too).
  keepNames: true,
  // `node dist/apps/<app>/main.js`: the executor names CommonJS output .cjs unless told otherwise.
  outExtension: { '.js': '.js' },
};

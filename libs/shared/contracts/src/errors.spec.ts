import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { HubError, isPermanentError, isRetryableError } from './errors';

class Refused extends HubError {
  readonly code = 'TEST_REFUSED';
  readonly retryable = false;
}
class Busy extends HubError {
  readonly code = 'TEST_BUSY';
  readonly retryable = true;
}

describe('HubError', () => {
  it('is an Error with a code, a retryable flag, its class name and the cause', () => {
    const cause = new Error('socket closed');
    const err = new Refused('no', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ name: 'Refused', code: 'TEST_REFUSED', retryable: false, message: 'no', cause });
  });

  it('is permanent only when it says so; any other error is retryable', () => {
    expect(isPermanentError(new Refused('no'))).toBe(true);
    expect(isPermanentError(new Busy('later'))).toBe(false);
    expect(isRetryableError(new Busy('later'))).toBe(true);
    // An error the hub did not classify (a bug, a driver's error) is retried rather than dead-lettered.
    expect(isRetryableError(new Error('boom'))).toBe(true);
    expect(isRetryableError({ code: 'X', retryable: false })).toBe(true);
    expect(isRetryableError(undefined)).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------------
// The taxonomy: every error class declared in libs/ and apps/ is a HubError with a code.
// ------------------------------------------------------------------------------------------------

interface DeclaredClass {
  name: string;
  base: string;
  file: string;
  abstract: boolean;
  /** Declares `code` (a property, or a `readonly code` constructor parameter). */
  code: boolean;
  retryable: boolean;
}

const ROOT = join(__dirname, '..', '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function declaredClasses(file: string): DeclaredClass[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: DeclaredClass[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) && node.name) {
      const ext = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      if (ext) {
        const declares = (member: string) =>
          node.members.some(
            (m) =>
              (ts.isPropertyDeclaration(m) && m.name.getText(source) === member) ||
              (ts.isConstructorDeclaration(m) &&
                m.parameters.some(
                  (p) => p.name.getText(source) === member && ts.getModifiers(p)?.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword),
                )),
          );
        out.push({
          name: node.name.text,
          base: ext.expression.getText(source),
          file: relative(ROOT, file),
          abstract: ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword) ?? false,
          code: declares('code'),
          retryable: declares('retryable'),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

describe('the error taxonomy', () => {
  const classes = ['libs', 'apps'].flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap(declaredClasses);
  const byName = new Map(classes.map((c) => [c.name, c]));
  /** The chain of base names up to a class not declared here (`Error`, a framework class). */
  const chain = (c: DeclaredClass): string[] => {
    const names = [c.name];
    for (let base = c.base; ; base = byName.get(base)!.base) {
      names.push(base);
      if (!byName.has(base) || names.length > 20) return names;
    }
  };
  const errors = classes.filter((c) => c.name !== 'HubError' && chain(c).some((n) => n === 'Error' || n === 'HubError'));

  it('finds the error classes (the scan itself works)', () => {
    expect(byName.get('HubError')?.base).toBe('Error');
    expect(errors.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'EventStoreError',
        'PermanentMessageError',
        'CatalogError',
        'ReplayError',
        'InvalidCursorError',
        'PublishUnavailableError',
        'KeyStoreError',
        'ApiKeyStoreError',
      ]),
    );
  });

  it('has every error class extend HubError (code, retryable), never Error directly', () => {
    const plain = errors.filter((c) => !chain(c).includes('HubError')).map((c) => `${c.name} (${c.file}) extends ${c.base}`);
    expect(plain).toEqual([]);
  });

  it('has every concrete error class carry a code and a retryable flag, declared or inherited', () => {
    const inherits = (c: DeclaredClass, what: 'code' | 'retryable') => chain(c).some((n) => byName.get(n)?.[what] ?? false);
    const missing = errors
      .filter((c) => !c.abstract && (!inherits(c, 'code') || !inherits(c, 'retryable')))
      .map((c) => `${c.name} (${c.file})`);
    expect(missing).toEqual([]);
  });
});

import * as ts from 'typescript';

/**
 * Text edits located with the TypeScript AST, so they land in the right list whatever its layout
 * (one line or one entry per line, trailing comma or not) and nothing else in the file moves.
 * Every function throws a `SourceAnchorError` naming the file and the construct it looked for when
 * that construct is not there: the generator then stops before writing anything.
 */
export class SourceAnchorError extends Error {
  constructor(file: string, expected: string) {
    super(
      `${file}: cannot find ${expected}. The channel generator edits exactly that; restore it (or update tools/hub-plugin) and run the generator again.`,
    );
    this.name = 'SourceAnchorError';
  }
}

interface Insertion {
  at: number;
  text: string;
}

function parse(file: string, source: string): ts.SourceFile {
  return ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** `as const`, `satisfies …` and parentheses around an initializer, removed. */
function unwrap(node: ts.Expression): ts.Expression {
  let current = node;
  while (
    ts.isAsExpression(current) ||
    ts.isSatisfiesExpression(current) ||
    ts.isParenthesizedExpression(current) ||
    ts.isTypeAssertionExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** The initializer of the top-level `const <name> = …`. */
function constInitializer(sf: ts.SourceFile, name: string): ts.Expression | undefined {
  for (const statement of sf.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.name.text === name && declaration.initializer)
        return unwrap(declaration.initializer);
    }
  }
  return undefined;
}

function lineIndentAt(source: string, position: number): string {
  const lineStart = source.lastIndexOf('\n', position - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart))![0];
}

/**
 * Where and what to insert to append `entry` to a list (array elements or object properties),
 * following its layout: one line → `, entry`; one entry per line → a new line at the same indent.
 */
function appendToList(source: string, list: ts.NodeArray<ts.Node>, openBracketEnd: number, entry: string): Insertion {
  if (list.length === 0) return { at: openBracketEnd, text: entry };
  const last = list[list.length - 1]!;
  const first = list[0]!;
  const multiline = source.slice(openBracketEnd, first.getStart()).includes('\n');
  const afterLast = list.hasTrailingComma ? source.indexOf(',', last.end) + 1 : last.end;
  if (!multiline) return { at: afterLast, text: list.hasTrailingComma ? ` ${entry},` : `, ${entry}` };
  const indent = lineIndentAt(source, last.getStart());
  return { at: afterLast, text: list.hasTrailingComma ? `\n${indent}${entry},` : `,\n${indent}${entry}` };
}

function apply(source: string, insertions: Insertion[]): string {
  return [...insertions].sort((a, b) => b.at - a.at).reduce((text, i) => text.slice(0, i.at) + i.text + text.slice(i.at), source);
}

/** The string elements of `const <name> = [...]` (e.g. CHANNEL_IDS); throws when it is not such an array. */
export function readStringArrayConst(file: string, source: string, name: string): string[] {
  const init = constInitializer(parse(file, source), name);
  if (!init || !ts.isArrayLiteralExpression(init)) throw new SourceAnchorError(file, `\`export const ${name} = [...]\``);
  return init.elements.map((e) => {
    if (!ts.isStringLiteral(e)) throw new SourceAnchorError(file, `only string literals in ${name}`);
    return e.text;
  });
}

/** Appends the string literal `value` to `const <name> = [...]`. */
export function appendToStringArrayConst(file: string, source: string, name: string, value: string): string {
  const sf = parse(file, source);
  const init = constInitializer(sf, name);
  if (!init || !ts.isArrayLiteralExpression(init)) throw new SourceAnchorError(file, `\`export const ${name} = [...]\``);
  const quote = init.elements.find(ts.isStringLiteral)?.getText(sf).startsWith('"') ? '"' : "'";
  return apply(source, [appendToList(source, init.elements, init.getStart(sf) + 1, `${quote}${value}${quote}`)]);
}

/** The names a module re-exports under (`export { a as sms } from …` → `sms`), in order. */
export function readReExportNames(file: string, source: string): string[] {
  return reExports(parse(file, source)).flatMap((d) =>
    d.exportClause && ts.isNamedExports(d.exportClause) ? d.exportClause.elements.map((e) => e.name.text) : [],
  );
}

function reExports(sf: ts.SourceFile): ts.ExportDeclaration[] {
  return sf.statements.filter((s): s is ts.ExportDeclaration => ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined);
}

/**
 * Appends `line` (a whole `export { … } from '…';`) on its own line after the module's last
 * re-export, so a file of one-line registrations (the channel registry's) gains exactly one line.
 */
export function appendReExportLine(file: string, source: string, line: string): string {
  const all = reExports(parse(file, source));
  const last = all[all.length - 1];
  if (!last) throw new SourceAnchorError(file, "an `export { … } from '…';` line to add the new one after");
  return apply(source, [{ at: last.end, text: `\n${line}` }]);
}

/** `name` as an export name: bare when it is an identifier, a string otherwise (`'line-chat'`). */
export function exportName(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : `'${name}'`;
}

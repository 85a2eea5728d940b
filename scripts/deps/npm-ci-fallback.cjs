#!/usr/bin/env node
// Decides whether a refused `npm ci` may fall back to installing the locked versions.
//
// npm records other platforms' optional binaries (swc, msgpackr, the resolver's bindings …) in the lock
// only when the registry served them on the day the lock was written. When the registry later serves
// more of them, `npm ci` refuses the committed lock as "not in sync" although nothing this machine
// installs has changed. That case, and only that case, is forgiven: every package npm's refusal names
// must be an optional dependency of a locked package, not a dependency of our own, and built for
// another platform (or not served at all). A stale lock, a missing dependency of ours, this platform's
// own binary, or any failure that is not a lock refusal stops with npm's own message.
//
// The decision reads package names out of npm's output by their shape (name@version, the version may be
// empty), not by the sentence around them, so a reworded message still decides the same way.
//
// Runs before node_modules exists: plain Node, no dependencies.
//   node scripts/deps/npm-ci-fallback.cjs <npm-ci-log>   exit 0: fall back (prints why, one line)
//                                                         exit 1: do not (prints why)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

/** `name@version` tokens (scoped or not; the version may be empty) standing alone in a line. */
const SPEC = /(?:^|[\s'"`(:])((?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*)@([^\s'"`),]*)/gi;

/** Package names (with the version npm gave, possibly '') that npm's refusal names. */
function namedPackages(log) {
  const found = new Map();
  for (const raw of log.split('\n')) {
    const line = raw.replace(/^npm (error|ERR!)\s?/, '');
    if (/https?:\/\//.test(line) || /\/_logs\//.test(line)) continue; // addresses and log paths are not specs
    for (const m of line.matchAll(SPEC)) {
      if (!found.has(m[1]) || found.get(m[1]) === '') found.set(m[1], m[2]);
    }
  }
  return [...found].map(([name, version]) => ({ name, version }));
}

/** Whether the log is npm refusing the lock (its EUSAGE code), not a network or script failure. */
function isLockRefusal(log) {
  return /\bcode EUSAGE\b/.test(log) && /lock ?file/i.test(log);
}

function matchesField(values, actual) {
  if (!values || values.length === 0) return true;
  const allowed = values.filter((v) => !v.startsWith('!'));
  if (values.includes(`!${actual}`)) return false;
  return allowed.length === 0 || allowed.includes(actual);
}

/**
 * @param {object} input
 * @param {string} input.log                 what `npm ci` printed
 * @param {{packages: Record<string, any>}} input.lock   the committed package-lock.json
 * @param {Record<string, any>} input.pkg    the root package.json
 * @param {{os: string, cpu: string}} input.platform   this machine
 * @param {(name: string, spec: string) => ({os?: string[], cpu?: string[]} | null)} input.manifest
 *        the registry's manifest of name@spec, or null when the registry does not serve it
 * @returns {{fallback: boolean, reason: string}}
 */
function decide({ log, lock, pkg, platform, manifest }) {
  if (!isLockRefusal(log)) return { fallback: false, reason: 'npm ci failed for a reason other than the lock' };
  const named = namedPackages(log);
  if (named.length === 0) return { fallback: false, reason: 'npm refused the lock without naming a package' };

  const own = new Set(
    ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].flatMap((k) => Object.keys(pkg[k] || {})),
  );
  const optionalRanges = new Map();
  for (const entry of Object.values(lock.packages || {})) {
    for (const [name, range] of Object.entries(entry.optionalDependencies || {})) {
      optionalRanges.set(name, range);
    }
  }

  for (const { name, version } of named) {
    if (own.has(name)) return { fallback: false, reason: `${name} is one of this project's own dependencies` };
    if (!optionalRanges.has(name)) {
      return { fallback: false, reason: `${name} is not an optional dependency of any locked package` };
    }
    const m = manifest(name, version || optionalRanges.get(name));
    if (m && matchesField(m.os, platform.os) && matchesField(m.cpu, platform.cpu)) {
      return { fallback: false, reason: `${name} is built for this platform (${platform.os}-${platform.cpu})` };
    }
  }
  return {
    fallback: true,
    reason: `npm ci refused the lock only for ${named.length} other platforms' optional binaries (${named
      .slice(0, 3)
      .map((p) => p.name)
      .join(', ')}${named.length > 3 ? ', …' : ''})`,
  };
}

/** The registry's manifest through npm itself (so the project's registry settings apply). */
function registryManifest(name, spec) {
  try {
    const out = execFileSync('npm', ['view', `${name}@${spec}`, 'os', 'cpu', '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    });
    if (!out.trim()) return null;
    const parsed = JSON.parse(out);
    const last = Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed; // several versions match a range
    return { os: [].concat(last.os || []), cpu: [].concat(last.cpu || []) };
  } catch {
    return null; // not served (E404): installable nowhere, so no platform's install depends on it
  }
}

function main(argv) {
  const [logFile] = argv;
  const root = process.cwd();
  const decision = decide({
    log: fs.readFileSync(logFile, 'utf8'),
    lock: JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')),
    pkg: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')),
    platform: { os: process.platform, cpu: process.arch },
    manifest: registryManifest,
  });
  process.stdout.write(`${decision.reason}\n`);
  return decision.fallback ? 0 : 1;
}

module.exports = { decide, namedPackages, isLockRefusal };

if (require.main === module) process.exit(main(process.argv.slice(2)));

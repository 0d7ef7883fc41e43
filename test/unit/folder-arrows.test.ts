/**
 * The top-level folders form layers, and imports point down only, so no two folders import each other:
 *
 *   src <- tools <- scripts <- bench <- test
 *
 * src is the product and imports nothing outside itself; tools holds what runs the product locally
 * (the local stack, the EC2 fault proxy, seeded randomness, the project root); scripts are the npm
 * commands; bench is the benchmark, which builds with a script; test may import everything. This
 * walks every import (type-only, dynamic and require included) of every source file and fails on an
 * arrow that points up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../tools/project-root';

const LAYERS = ['src', 'tools', 'scripts', 'bench', 'test'] as const;
type Layer = (typeof LAYERS)[number];
const SOURCE = /\.(ts|js|cjs|mjs)$/;

interface Arrow {
  file: string;
  specifier: string;
  from: Layer;
  to: Layer;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

function layerOf(path: string): Layer | undefined {
  const top = relative(PROJECT_ROOT, path).split(sep)[0];
  return LAYERS.find((layer) => layer === top);
}

/** Every relative import between two layers, from the files of all layers. */
function arrows(): Arrow[] {
  return LAYERS.flatMap((layer) =>
    sourceFiles(join(PROJECT_ROOT, layer)).flatMap((path) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true);
      return importedFiles
        .map(({ fileName }) => fileName)
        .filter((specifier) => specifier.startsWith('.'))
        .flatMap((specifier) => {
          const to = layerOf(resolve(dirname(path), specifier));
          return to === undefined ? [] : [{ file: relative(PROJECT_ROOT, path), specifier, from: layer, to }];
        });
    }),
  );
}

/** The arrows that point up a layer, each as a line naming the file and what its folder may import. */
function crossings(found: readonly Arrow[]): string[] {
  return found
    .filter(({ from, to }) => LAYERS.indexOf(to) > LAYERS.indexOf(from))
    .map(({ file, specifier, from, to }) => `${file} imports '${specifier}' (${from} -> ${to}); ${from} may import ${LAYERS.slice(0, LAYERS.indexOf(from) + 1).join(', ')}`);
}

const found = arrows();

it('finds the arrows that exist, so an empty list of crossings means something', () => {
  const pairs = new Set(found.map(({ from, to }) => `${from} -> ${to}`));
  for (const pair of ['tools -> src', 'scripts -> tools', 'bench -> tools', 'bench -> scripts', 'test -> src', 'test -> tools', 'test -> bench']) {
    expect([pair, pairs.has(pair)]).toEqual([pair, true]);
  }
});

it('has no import that points up a layer', () => {
  expect(crossings(found)).toEqual([]);
});

it('names a crossing import with its file and what its folder may import', () => {
  const allowed: Arrow = { file: 'test/e2e/bench-smoke.test.ts', specifier: '../../bench/run', from: 'test', to: 'bench' };
  const crossing: Arrow = { file: 'bench/ec2-realism.ts', specifier: '../test/support/env', from: 'bench', to: 'test' };
  expect(crossings([allowed, crossing])).toEqual([
    "bench/ec2-realism.ts imports '../test/support/env' (bench -> test); bench may import src, tools, scripts, bench",
  ]);
});

/**
 * Every relative link in the project's Markdown resolves: the file (or folder) exists, and an anchor
 * names a heading of the page it points to. Docs keep moving between README.md and docs/, and a link
 * that breaks silently sends a newcomer nowhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** The pages checked: the top-level guides and everything under docs/. */
function markdownFiles(): string[] {
  const top = ['README.md', 'DEVELOPERS.md', 'BENCHMARKS.md'].map((name) => join(ROOT, name));
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  return [...top, ...docs].filter((file) => existsSync(file));
}

/** The text outside fenced code blocks, where links and headings are Markdown and not examples. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    const html = [...line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)].map((m) => m[1] ?? '');
    html.forEach((id) => anchors.add(id));
    if (heading === null) continue;
    const slug = (heading[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets: inline `[text](target)` and reference definitions `[label]: target`. */
function linkTargets(markdown: string): string[] {
  // Code spans are examples too, but link text may hold one: drop only the backticks' content.
  const text = prose(markdown).join('\n').replace(/`[^`\n]*`/g, '`code`');
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1] ?? '');
  return [...inline, ...references].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with each relative link of one page, given a way to read other pages. */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const target of linkTargets(markdown)) {
    const [path = '', anchor] = target.split('#', 2);
    const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const page = path === '' ? markdown : read(destination);
    if (page === undefined) {
      problems.push(`${target}: no such file`);
      continue;
    }
    if (anchor !== undefined && anchor !== '' && destination.endsWith('.md') && !anchorsOf(page).has(anchor)) {
      problems.push(`${target}: no heading with anchor #${anchor}`);
    }
  }
  return problems;
}

/** A file's text, '' for a folder (it exists, and has no headings), or undefined when absent. */
function readFromDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('relative links in the docs', () => {
  it.each(markdownFiles().map((file) => [relative(ROOT, file), file]))('%s: every link resolves', (_name, file) => {
    expect(brokenLinks(file, readFileSync(file, 'utf8'), readFromDisk)).toEqual([]);
  });

  it('checks README.md, DEVELOPERS.md, BENCHMARKS.md and every page under docs/', () => {
    const names = markdownFiles().map((file) => relative(ROOT, file));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'DEVELOPERS.md', 'BENCHMARKS.md', join('docs', 'contract.md')]));
  });
});

describe('the link check itself', () => {
  const file = join(ROOT, 'docs', 'page.md');
  const pages: Record<string, string> = {
    [join(ROOT, 'docs', 'other.md')]: '# Other\n\n## The `stagely` command line\n\n## Crashes, restarts and unknown outcomes\n\n## Notes\n\n## Notes\n',
    [join(ROOT, 'README.md')]: '# Stagely\n',
  };
  const read = (path: string): string | undefined => pages[path];

  it('accepts files, anchors GitHub would make, anchors on the same page, and absolute URLs', () => {
    const markdown = [
      '# Page',
      '## Local part',
      '[a](other.md) [b](../README.md) [c](other.md#the-stagely-command-line)',
      '[d](other.md#crashes-restarts-and-unknown-outcomes) [e](other.md#notes-1) [f](#local-part)',
      '[g](https://example.com/missing.md) [h](mailto:someone@example.com)',
      '[`code` in text](other.md)',
    ].join('\n');
    expect(brokenLinks(file, markdown, read)).toEqual([]);
  });

  it('reports a missing file, a missing anchor and a missing anchor on the same page', () => {
    const markdown = '# Page\n\n[a](missing.md) [b](other.md#nowhere) [c](#nor-here)\n\n[ref]: ../GONE.md\n';
    expect(brokenLinks(file, markdown, read)).toEqual([
      'missing.md: no such file',
      'other.md#nowhere: no heading with anchor #nowhere',
      '#nor-here: no heading with anchor #nor-here',
      '../GONE.md: no such file',
    ]);
  });

  it('ignores links inside fenced code', () => {
    expect(brokenLinks(file, '```md\n[a](missing.md)\n```\n', read)).toEqual([]);
  });
});

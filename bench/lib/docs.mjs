import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const HEADER = `# Benchmarks

Written by \`npm run bench\` (all scenarios) or \`npm run bench -- NAME\` (one). Each scenario
rewrites only its own section, between its \`bench:NAME\` markers; text outside the markers is
kept. How the harness measures, and how to add a scenario: [bench/README.md](../bench/README.md).
`;

export function startMarker(name) {
  return `<!-- bench:${name}:start -->`;
}

export function endMarker(name) {
  return `<!-- bench:${name}:end -->`;
}

/**
 * Replaces the section of scenario `name` in the markdown file at `path` with `body`, keeping
 * everything else; a section that is not there yet is appended, and a missing file is created
 * with a header.
 */
export function writeSection(path, name, body) {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : HEADER;
  const section = `${startMarker(name)}\n${body.trim()}\n${endMarker(name)}`;
  const start = current.indexOf(startMarker(name));
  const end = current.indexOf(endMarker(name));
  let next;
  if (start !== -1 && end > start) {
    next = current.slice(0, start) + section + current.slice(end + endMarker(name).length);
  } else if (start === -1 && end === -1) {
    next = `${current.trimEnd()}\n\n${section}\n`;
  } else {
    throw new Error(`${path}: the markers of section '${name}' are unbalanced; fix them by hand`);
  }
  // Write then rename, so an interrupted run never leaves a half-written file.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, next);
  renameSync(temporary, path);
}

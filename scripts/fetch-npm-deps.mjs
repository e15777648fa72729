// Fetches the pinned npm artefacts in scripts/deps.lock.json, checks each tarball's sha512 against
// the lock, and extracts only the listed paths under .deps/. A package whose stamp matches its pin
// is skipped without touching the network. Usage: node scripts/fetch-npm-deps.mjs [--gpu]
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, cpSync, readdirSync, statSync, renameSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpdir, arch } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const depsDir = join(root, '.deps');
const lock = JSON.parse(readFileSync(join(root, 'scripts', 'deps.lock.json'), 'utf8'));
const wantGpu = process.argv.includes('--gpu');
const npmArch = { x64: 'x64', arm64: 'arm64' }[arch()];
if (!npmArch) fail(`unsupported processor architecture '${arch()}' (x64 and arm64 are supported)`);

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

function globToRegex(glob) {
  return new RegExp('^' + glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
}

function copyFiltered(src, dst, excludes) {
  if (statSync(src).isDirectory()) {
    mkdirSync(dst, { recursive: true });
    for (const name of readdirSync(src)) copyFiltered(join(src, name), join(dst, name), excludes);
  } else if (!excludes.some((re) => re.test(src.split('/').pop()))) {
    mkdirSync(dirname(dst), { recursive: true });
    cpSync(src, dst);
  }
}

for (const pkg of lock.packages) {
  if (pkg.gpuOnly && !wantGpu) continue;
  if (pkg.gpuOnly && npmArch !== 'x64') fail(`${pkg.name} exists for linux-x64 only`);
  const stamp = join(depsDir, `.${pkg.id}.stamp`);
  const pin = `${pkg.name}@${pkg.version} ${pkg.integrity}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pin) continue;

  console.log(`setup: fetching ${pkg.name}@${pkg.version} (${pkg.why})`);
  const work = join(tmpdir(), `wsss-deps-${process.pid}-${pkg.id}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    // npm pack downloads the registry tarball (or reuses npm's own cache) without running any package scripts.
    const out = execFileSync('npm', ['pack', `${pkg.name}@${pkg.version}`, '--pack-destination', work, '--prefer-offline', '--silent'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop();
    const tarball = join(work, out);
    const actual = 'sha512-' + createHash('sha512').update(readFileSync(tarball)).digest('base64');
    if (actual !== pkg.integrity) fail(`${pkg.name}@${pkg.version}: integrity mismatch (lock ${pkg.integrity}, got ${actual}); refusing to use it`);

    const members = Object.keys(pkg.extract).map((m) => m.replace('${arch}', npmArch));
    execFileSync('tar', ['-xzf', tarball, '-C', work, ...members], { stdio: 'inherit' });
    const excludes = (pkg.exclude ?? []).map(globToRegex);
    for (const [member, target] of Object.entries(pkg.extract)) {
      const src = join(work, member.replace('${arch}', npmArch)).replace(/\/+$/, '');
      const dst = join(depsDir, target).replace(/\/+$/, '');
      rmSync(dst, { recursive: true, force: true });
      copyFiltered(src, dst + '.partial', excludes);
      renameSync(dst + '.partial', dst);
    }
    writeFileSync(stamp, pin);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

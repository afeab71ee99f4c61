// Bundles src/app.css and src/apexchart.js (the ES module of the Blazor ApexChart component) into ../src/Poppy.Portal.Web/wwwroot/dist/ with esbuild.
// Usage: npm run build                        (minified, with source maps)
//        npm run build -- --outdir=<folder>   (Assets.targets passes the web project's wwwroot/dist)
// Output is written without a window where apexchart.js/app.css are missing (concurrent MSBuild
// builds may hash the folder while we write), and stale files from an earlier build are removed.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdirArg = process.argv.slice(2).find((a) => a.startsWith('--outdir='));
const outdir = outdirArg
  ? path.resolve(outdirArg.slice('--outdir='.length))
  : path.resolve(here, '../src/Poppy.Portal.Web/wwwroot/dist');

if (path.basename(outdir) !== 'dist') {
  // The folder is pruned below: refuse anything that is not a dedicated dist/ folder.
  console.error(`poppy assets: output folder must be named "dist": ${outdir}`);
  process.exit(2);
}

const started = Date.now();
const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/app.css', 'src/apexchart.js'],
  outbase: 'src',
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with native private class fields and ES2022.
  target: ['chrome111', 'edge111', 'firefox113', 'safari16.4'],
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  charset: 'utf8',
  // Fonts/images that CSS (ApexCharts or ours) references are emitted next to app.css.
  loader: {
    '.woff2': 'file', '.woff': 'file', '.ttf': 'file', '.eot': 'file', '.otf': 'file',
    '.svg': 'file', '.png': 'file', '.jpg': 'file', '.jpeg': 'file', '.gif': 'file', '.webp': 'file', '.avif': 'file',
  },
  assetNames: 'assets/[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
  write: false,
});

fs.mkdirSync(outdir, { recursive: true });
const written = new Set();
for (const file of result.outputFiles) {
  fs.mkdirSync(path.dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, file.contents);
  fs.renameSync(tmp, file.path); // atomic replace: readers see the old or the new file, never half of one
  written.add(path.resolve(file.path));
}

// Remove files an earlier build left behind (e.g. assets whose hash changed).
function prune(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.resolve(dir, entry.name);
    if (entry.isDirectory()) {
      prune(full);
      if (fs.readdirSync(full).length === 0) fs.rmdirSync(full);
    } else if (!written.has(full)) {
      fs.rmSync(full, { force: true });
    }
  }
}
prune(outdir);

const rel = (p) => path.relative(path.resolve(here, '..'), p);
for (const file of [...written].sort()) {
  console.log(`  ${rel(file).padEnd(60)} ${(fs.statSync(file).size / 1024).toFixed(1).padStart(8)} KiB`);
}
console.log(`poppy assets: built ${written.size} files in ${Date.now() - started} ms`);

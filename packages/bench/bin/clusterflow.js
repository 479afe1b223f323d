#!/usr/bin/env node
// Launcher for the built CLI. package.json "bin" points here, not at dist/main.js,
// because npm links a bin only if its file exists at install time: in a fresh clone
// `npm ci` runs before `npm run build`, so a bin in dist/ would never be linked.
try {
  await import('../dist/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/main.js')) {
    console.error('clusterflow is not built yet: run `npm run build` at the repository root');
    process.exit(2);
  }
  throw err;
}

// Jest runs the TypeScript sources as native ES modules (NODE_OPTIONS=--experimental-vm-modules,
// set by the npm scripts); swc strips types, `tsc --noEmit` type-checks separately.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  throw new Error(
    `the tests need Node.js 22.19 or newer (this is ${process.version}): run \`source scripts/node-runtime.sh\` ` +
      '(after `bash scripts/install-deps.sh`), then the same command again',
  );
}

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // Jest 30 "soft-deletes" globals between test files by wrapping their accessors; an object shared
  // by every file of a worker (the Temporal SDK's process-wide runtime) gets wrapped once per file
  // until its setter chain overflows the stack. Each file has its own environment anyway.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  // Only a hang catcher: tests wait on conditions, and a machine running a second suite beside this one
  // (or a CI machine under load) may take minutes where an idle one takes seconds.
  testTimeout: 300_000,
  // Most tests wait on servers (Temporal, the simulated lab, sshd) rather than compute: two workers overlap
  // those waits on a 2-core machine.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};

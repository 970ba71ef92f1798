/**
 * The real daemon checkers (named-checkzone, named-checkconf, dhcpd -t, haproxy -c), found in one
 * place. `testWithTool` runs a test only where the tool is installed: in CI (CI=true) a missing tool
 * fails the test with what to install; elsewhere the test is skipped with a loud warning.
 */
import { test } from '@jest/globals';
import { execa } from 'execa';
import { findTool } from '../../testing/tools.js';

export { findTool } from '../../testing/tools.js';

/** Each checker and the Debian package that provides it. */
export const checkerPackages = {
  'named-checkzone': 'bind9-utils',
  'named-checkconf': 'bind9-utils',
  dhcpd: 'isc-dhcp-server',
  haproxy: 'haproxy',
} as const;
export type Checker = keyof typeof checkerPackages;

const warned = new Set<string>();

/** A test that gets the checker's path; see the module comment for what happens when it is missing. */
export function testWithTool(
  tool: Checker,
  title: string,
  body: (path: string) => Promise<void>,
  timeout?: number,
): void {
  const path = findTool(tool);
  const install = `apt-get install ${checkerPackages[tool]}`;
  if (path !== undefined) {
    test(title, () => body(path), timeout);
  } else if (process.env.CI === 'true') {
    test(title, () => {
      throw new Error(`${tool} is missing: install it (${install}); CI must run every daemon checker`);
    });
  } else {
    if (!warned.has(tool))
      console.warn(`\n*** SKIPPING tests that need ${tool}: it is not installed (${install}) ***\n`);
    warned.add(tool);
    test.skip(title, () => body(''));
  }
}

export interface CheckResult {
  exitCode: number;
  /** stdout and stderr, interleaved. */
  output: string;
}

/** Runs a checker with an argument vector (never a shell string); a non-zero exit is a result, not a throw. */
export async function runChecker(path: string, args: readonly string[]): Promise<CheckResult> {
  const result = await execa(path, args, { reject: false, all: true, stdin: 'ignore', timeout: 30_000 });
  return { exitCode: result.exitCode ?? -1, output: result.all ?? '' };
}

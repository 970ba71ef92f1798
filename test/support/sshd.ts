/**
 * A real OpenSSH sshd for tests (./sshd-server.ts starts it).
 *
 * `describeWithSshd` runs a suite only where sshd is installed: in CI (CI=true) a missing sshd fails
 * the suite, elsewhere it is skipped with a loud warning.
 */
import { describe, test } from '@jest/globals';
import { SSHD, sshdAvailable } from '../../testing/sshd-server.js';

export { sshdAvailable, startSshd, type TestSshd } from '../../testing/sshd-server.js';

export function describeWithSshd(name: string, suite: () => void): void {
  if (sshdAvailable()) {
    describe(name, suite);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs OpenSSH sshd', () => {
        throw new Error(`${SSHD} is missing: install openssh-server (apt-get install openssh-server)`);
      });
    });
  } else {
    console.warn(`\n*** SKIPPING "${name}": ${SSHD} is missing (apt-get install openssh-server) ***\n`);
    describe.skip(name, suite);
  }
}

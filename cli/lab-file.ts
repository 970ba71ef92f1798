/** Reading a lab file for a command that starts or changes a run. */
import { LabValidationError, formatIssue, loadLab } from '../lab/load.js';
import type { Lab } from '../lab/schema.js';
import { ExitCode, UserError } from './errors.js';

/**
 * Reads and validates a lab file (schema, cross-field rules, secret references); every issue names
 * its field and line. Relative `file:` references come back absolute.
 */
export async function readLab(file: string): Promise<Lab> {
  try {
    return await loadLab(file);
  } catch (error) {
    if (error instanceof LabValidationError) {
      throw new UserError(error.message, ExitCode.FAILED, [
        ...error.issues.map((issue) => formatIssue(issue, file)),
        'nothing was started or changed; fix the lab file and run again',
      ]);
    }
    throw error;
  }
}

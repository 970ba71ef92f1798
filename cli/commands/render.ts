/**
 * `runbook render`: every file the lab produces, written to a folder for review or manual use
 * (the runbooks render the same files themselves). The lab is validated first.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadLab, LabValidationError } from '../../lab/load.js';
import { SecretError } from '../../lab/secrets.js';
import { artifacts, renderAll, renderOnly, RenderError } from '../../render/index.js';
import { writeRendered } from '../../render/write.js';
import { ExitCode, UserError } from '../errors.js';
import { formatTable, printJson } from '../output.js';

interface RenderOptions {
  lab?: string;
  out?: string;
  only?: string;
  json?: boolean;
  list?: boolean;
}

export function registerRenderCommands(program: Command): void {
  program
    .command('render')
    .description('Render every config file and manifest of a lab into a folder')
    .option('--lab <file>', 'lab file (validated first)')
    .option('--out <dir>', 'folder to write into (created if needed; files there are replaced)')
    .option('--only <artifact>', 'only this artifact (dns.cluster-zone) or group (dns, haproxy, ceph…)')
    .option('--list', 'list the artifacts and exit')
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      `
Examples:
  runbook render --lab runbooks/labs/example.yaml --out /tmp/intra
  runbook render --lab lab.yaml --out out --only haproxy
  runbook render --list

Files holding secrets (install-config, LDAP and Ceph secrets) get their values from the lab's
secret references at write time and are written mode 0600.`,
    )
    .action(async (options: RenderOptions) => {
      if (options.list === true) return listArtifacts(options.json === true);
      if (options.lab === undefined || options.out === undefined) {
        throw new UserError('render needs --lab <file> and --out <dir> (or --list)', ExitCode.USAGE);
      }
      await render(options.lab, options.out, options.only, options.json === true);
    });
}

function listArtifacts(json: boolean): void {
  if (json) return printJson(artifacts);
  process.stdout.write(`${formatTable(['ARTIFACT', 'WHAT'], Object.entries(artifacts))}\n`);
}

async function render(labPath: string, out: string, only: string | undefined, json: boolean): Promise<void> {
  const outDir = resolve(out);
  try {
    const lab = await loadLab(labPath);
    const files = only === undefined ? renderAll(lab) : renderOnly(lab, only);
    const written = await writeRendered(files, outDir);
    if (json) return printJson({ lab: labPath, outDir, files: written });
    const rows = written.map((file) => [
      file.path,
      file.artifact,
      file.host === undefined ? '-' : `${file.host}:${file.target ?? ''}`,
      file.secrets.length > 0 ? 'secrets filled, 0600' : '',
    ]);
    process.stdout.write(`${formatTable(['FILE', 'ARTIFACT', 'GOES TO', ''], rows)}\n`);
    process.stdout.write(`${written.length} files written to ${outDir}\n`);
  } catch (error) {
    if (error instanceof LabValidationError)
      throw new UserError(`${error.message}; nothing was rendered`, ExitCode.FAILED, error.lines());
    if (error instanceof RenderError) throw new UserError(`${labPath}: ${error.message}`, ExitCode.FAILED);
    if (error instanceof SecretError) throw new UserError(`${error.message}; nothing was written`, ExitCode.FAILED);
    throw error;
  }
}

/**
 * The RHCOS boot files on a PXE/HTTP host (the for-each item): every placement `bootAssetsFor` lists
 * for that host holds its file with the expected sha256, the lab's (`cluster.rhcosSha256`) or, when
 * the lab gives none, the one the mirror's sha256sum.txt lists. A missing or different file is
 * downloaded ON the host (curl, as the procedure's wget) to `<target>.part`, checked with sha256sum
 * there and only then moved into place: a bad download is removed, never served to a booting node.
 *
 * A rehearsal downloads from the simulated lab's mirror (endpoints.json `rhcosMirror.url`), which
 * serves stand-ins under the same file names. Their sums are the simulated mirror's: the lab's sums
 * describe the real files, which no stand-in can match.
 */
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { bootAssetsFor, type BootAssetKind, type BootAssets } from '../../render/boot-assets.js';
import { assertLoopbackTarget } from '../../transport/guard.js';
import type { SshSession } from '../../transport/ssh.js';
import type { StepContext, StepOutcome } from '../../contract/step.js';
import { converge } from '../engine/converge.js';
import { defineAction, noParams } from '../engine/declare.js';
import { activitySignal } from '../support/activity-signal.js';
import { withSsh } from '../support/lab-access.js';
import type { StepPlan } from '../support/plan.js';
import { StepErrorType } from '../../contract/error-types.js';

/** One file on the host, with what it must hash to. */
export interface BootAssetFile {
  kind: BootAssetKind;
  /** File name on the mirror. */
  file: string;
  /** Download URL. */
  source: string;
  /** Absolute path on the host. */
  target: string;
  sha256: string;
  /** Where `sha256` comes from, for messages: the lab field or the checksum list's URL. */
  sumFrom: string;
}

/** A file the host lacks, and why. */
export interface BootAssetToFetch extends BootAssetFile {
  /** What sha256sum says of the target: absent, or the sum of a different file. */
  found: { missing: true; reason: string } | { missing: false; sha256: string };
}

export interface BootAssetPlan {
  host: string;
  files: BootAssetFile[];
  fetch: BootAssetToFetch[];
}

/** The lab field that gives a file's sum, named in errors. */
export function sumField(kind: BootAssetKind): string {
  return `cluster.rhcosSha256.${kind}`;
}

const rehearsalMirrorSchema = z.object({ rhcosMirror: z.object({ url: z.url() }) });

/** The simulated lab's mirror folder, from its endpoints.json. */
async function rehearsalMirrorUrl(endpointsFile: string): Promise<string> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(endpointsFile, 'utf8'));
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      `cannot read the simulated lab's endpoints from ${endpointsFile} (${(error as Error).message}): start it with \`runbook sim start\``,
      StepErrorType.RehearsalEndpointsMissing,
    );
  }
  const parsed = rehearsalMirrorSchema.safeParse(data);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(
      `${endpointsFile} publishes no RHCOS mirror (rhcosMirror.url): restart the simulated lab with \`runbook sim start\``,
      StepErrorType.RehearsalEndpointsMissing,
    );
  }
  return parsed.data.rhcosMirror.url;
}

/** The same files, downloaded from the folder `url` and checked against its own sha256sum.txt. */
export function fromMirror(assets: BootAssets, url: string): BootAssets {
  const mirror = url.replace(/\/*$/, '/');
  return {
    ...assets,
    mirror,
    checksums: `${mirror}sha256sum.txt`,
    assets: assets.assets.map(({ sha256: _labSum, ...asset }) => ({ ...asset, source: `${mirror}${asset.file}` })),
  };
}

/** `sha256sum` output (or a mirror's sha256sum.txt): name → sum, names as printed. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line.trimEnd());
    if (match) sums.set(match[2]!, match[1]!.toLowerCase());
  }
  return sums;
}

/** The mirror's sha256sum.txt, fetched by the worker; keys are bare file names. */
async function mirrorSums(url: string): Promise<Map<string, string>> {
  const signal = activitySignal();
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    throw ApplicationFailure.retryable(
      `cannot fetch ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}): check that this worker ` +
        'reaches the mirror (cluster.rhcosMirror)',
      StepErrorType.MirrorUnreachable,
    );
  }
  const text = await response.text();
  if (response.status === 404) {
    throw ApplicationFailure.nonRetryable(
      `${url} does not exist (404): set cluster.rhcosMirror to the folder that holds the RHCOS files and their ` +
        'sha256sum.txt, or give every file its sum in cluster.rhcosSha256',
      StepErrorType.MirrorChecksumsMissing,
    );
  }
  if (!response.ok) {
    throw ApplicationFailure.retryable(
      `${url} answered ${response.status} ${response.statusText}`,
      StepErrorType.MirrorUnreachable,
    );
  }
  const sums = new Map<string, string>();
  for (const [name, sum] of parseSha256Sums(text)) sums.set(posix.basename(name), sum);
  return sums;
}

/**
 * The files the host `context.item` must hold, with their expected sums: the lab's, else the
 * mirror's list (fetched only when some file needs it). In a rehearsal every URL must be loopback,
 * checked before any connection.
 */
export async function expectedBootAssets(context: StepContext): Promise<{ host: string; files: BootAssetFile[] }> {
  const host = context.lab.hosts.find((candidate) => candidate.name === context.item);
  if (!host?.pxe) {
    const pxeHosts = context.lab.hosts.filter((candidate) => candidate.pxe).map((candidate) => candidate.name);
    throw ApplicationFailure.nonRetryable(
      `"${context.item ?? '(no item)'}" is not a PXE/HTTP host of lab ${context.lab.name}: the boot-asset step runs ` +
        `for each host with a pxe block (${pxeHosts.join(', ') || 'none in this lab'})`,
      StepErrorType.NotAPxeHost,
    );
  }
  let assets = bootAssetsFor(context.lab);
  if (context.rehearsal) {
    assets = fromMirror(assets, await rehearsalMirrorUrl(context.rehearsal.endpointsFile));
    for (const url of [assets.checksums, ...assets.assets.map((asset) => asset.source)]) {
      assertLoopbackTarget(new URL(url).hostname, 'RHCOS mirror');
    }
  }
  const listed = assets.assets.some((asset) => asset.sha256 === undefined) ? await mirrorSums(assets.checksums) : null;
  const unknown: string[] = [];
  const files = assets.assets.flatMap((asset) =>
    asset.placements
      .filter((placement) => placement.host === host.name)
      .flatMap((placement): BootAssetFile[] => {
        const sha256 = asset.sha256 ?? listed?.get(asset.file);
        if (sha256 === undefined) {
          unknown.push(`${asset.file} (set ${sumField(asset.kind)})`);
          return [];
        }
        const sumFrom = asset.sha256 === undefined ? assets.checksums : sumField(asset.kind);
        return [
          { kind: asset.kind, file: asset.file, source: asset.source, target: placement.target, sha256, sumFrom },
        ];
      }),
  );
  if (unknown.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `no sha256 to verify ${unknown.join(', ')}: ${assets.checksums} does not list ${unknown.length === 1 ? 'it' : 'them'} ` +
        'and the lab gives none. Put the sum of the file you trust in the lab file, then resume',
      StepErrorType.BootAssetSumUnknown,
    );
  }
  return { host: host.name, files };
}

/** Which files the host lacks or holds with another sum: one `sha256sum` on the host, read-only. */
export async function bootAssetsToFetch(
  session: SshSession,
  files: readonly BootAssetFile[],
): Promise<BootAssetToFetch[]> {
  if (files.length === 0) return [];
  const argv = ['sha256sum', '--', ...files.map((file) => file.target)];
  const result = await session.exec(argv, { signal: activitySignal() });
  // sha256sum exits 1 when some file cannot be read and still prints the others.
  if (result.code !== 0 && result.code !== 1) {
    const failure = `${session.target.label}: \`sha256sum\` exited with ${result.code ?? result.signal}: ${result.stderr.trim()}`;
    if (result.code === 127) {
      throw ApplicationFailure.nonRetryable(
        `${failure}. Install coreutils on ${session.target.label}`,
        StepErrorType.CommandMissing,
      );
    }
    throw ApplicationFailure.retryable(failure, StepErrorType.BootAssetCheckFailed);
  }
  const sums = parseSha256Sums(result.stdout);
  return files.flatMap((file): BootAssetToFetch[] => {
    const sha256 = sums.get(file.target);
    if (sha256 === file.sha256) return [];
    if (sha256 !== undefined) return [{ ...file, found: { missing: false, sha256 } }];
    const line = result.stderr.split('\n').find((candidate) => candidate.includes(`${file.target}:`));
    const reason = line ? line.slice(line.indexOf(`${file.target}:`) + file.target.length + 1).trim() : 'not there';
    return [{ ...file, found: { missing: true, reason } }];
  });
}

/** What the step would change, without changing it: the plan of `installBootAssets`. */
export async function planBootAssets(context: StepContext): Promise<BootAssetPlan> {
  const { host, files } = await expectedBootAssets(context);
  const fetch = await withSsh(context, host, (session) => bootAssetsToFetch(session, files));
  return { host, files, fetch };
}

function describeFetch(file: BootAssetToFetch): string {
  return file.found.missing
    ? `${file.target} (${file.found.reason.toLowerCase()})`
    : `${file.target} (sha256 ${file.found.sha256.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…)`;
}

/** Heartbeats while `work` runs: a download of the live rootfs takes minutes. */
async function heartbeating<T>(work: Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(), 5_000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Downloads one file on the host beside its target, verifies it there, then moves it into place. */
async function fetchOnHost(session: SshSession, host: string, file: BootAssetFile): Promise<void> {
  const signal = cancellationSignal();
  const part = `${file.target}.part`;
  await session.mkdirp(posix.dirname(file.target));
  try {
    const curl = await heartbeating(
      session.exec(['curl', '-fsSL', '--retry', '3', '-o', part, file.source], { signal }),
    );
    if (curl.code !== 0) {
      const why = curl.stderr.trim().split('\n').slice(-2).join(' ') || `curl exited with ${curl.code}`;
      throw ApplicationFailure.retryable(
        `${host} could not download ${file.source}: ${why}. Check that ${host} reaches the mirror (cluster.rhcosMirror)`,
        StepErrorType.BootAssetDownloadFailed,
      );
    }
    const check = await heartbeating(session.execChecked(['sha256sum', '--', part], { signal }));
    const actual = parseSha256Sums(check.stdout).get(part);
    if (actual !== file.sha256) {
      // Retryable: a mirror glitch or a cut transfer heals on the next download.
      throw ApplicationFailure.retryable(
        `${file.source} downloaded on ${host} has sha256 ${actual ?? '(none)'}, expected ${file.sha256} ` +
          `(from ${file.sumFrom}); the download was deleted and ${file.target} left as it was. If it keeps ` +
          `differing, check the mirror (cluster.rhcosMirror) and ${file.sumFrom}`,
        StepErrorType.BootAssetChecksumMismatch,
      );
    }
    await session.execChecked(['mv', '-f', '-T', '--', part, file.target], { signal });
  } catch (error) {
    // Nothing half-written stays behind (the session may be gone already after a cancellation).
    await session.exec(['rm', '-f', '--', part]).catch(() => {});
    throw error;
  }
}

/** The RHCOS boot files of the lab's release on the PXE/HTTP host `context.item`, sha256-verified. */
async function fetchBootAssets(context: StepContext): Promise<StepOutcome> {
  const { host, files } = await expectedBootAssets(context);
  const names = files.map((file) => file.kind).join(', ');
  return withSsh(context, host, async (session) => {
    let fetch: BootAssetToFetch[] = [];
    return converge({
      check: async () => {
        fetch = await bootAssetsToFetch(session, files);
        return fetch.length === 0
          ? {
              ok: true,
              detail: `${host} has the RHCOS ${context.lab.cluster.rhcosVersion} files (${names}), sha256 verified`,
            }
          : { ok: false, detail: `${host} lacks ${fetch.map(describeFetch).join(', ')}` };
      },
      apply: async () => {
        for (const file of fetch) {
          await fetchOnHost(session, host, file);
          heartbeat();
        }
        return `downloaded ${fetch.map((file) => file.file).join(', ')} to ${host}, sha256 verified`;
      },
    });
  });
}

/** The RHCOS files the host lacks or holds with another sum (one `sha256sum` on it); nothing downloaded. */
async function planFetch(context: StepContext): Promise<StepPlan> {
  const { host, files, fetch } = await planBootAssets(context);
  return {
    changes: fetch.map((file) => ({
      target: `${host}:${file.target}`,
      action: file.found.missing ? ('create' as const) : ('update' as const),
      diff: `download ${file.source}, sha256 ${file.sha256} (from ${file.sumFrom})${
        file.found.missing ? '' : `; it has sha256 ${file.found.sha256}`
      }`,
    })),
    detail: `${host} has ${files.length - fetch.length} of ${files.length} RHCOS files, sha256 verified`,
  };
}

export const installBootAssets = defineAction({
  name: 'installBootAssets',
  summary: 'the RHCOS kernel, initramfs and rootfs on a PXE/HTTP host, sha256 verified',
  params: noParams,
  errors: [
    StepErrorType.NotAPxeHost,
    StepErrorType.MirrorUnreachable,
    StepErrorType.MirrorChecksumsMissing,
    StepErrorType.BootAssetSumUnknown,
    StepErrorType.BootAssetDownloadFailed,
    StepErrorType.BootAssetChecksumMismatch,
    StepErrorType.BootAssetCheckFailed,
    StepErrorType.RehearsalEndpointsMissing,
  ],
  apply: fetchBootAssets,
  plan: planFetch,
});

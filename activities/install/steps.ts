/**
 * The install activities, declared (../engine/declare.ts): openshift-install's steps in the
 * procedure's order and the RHCOS boot files, each with its apply half (./index.ts,
 * ./boot-assets.ts) and its plan half (./plan.ts: reads of the install folder and the HTTP hosts
 * that never run openshift-install). They take no parameters.
 */
import { StepErrorType } from '../../contract/error-types.js';
import { actionWithoutParams } from '../engine/declare.js';
import { installBootAssets } from './boot-assets.js';
import { installActivities } from './index.js';
import { installPlans } from './plan.js';

const FOLDER = [StepErrorType.InstallFolderUnknown, StepErrorType.InstallFolderStale];
const INSTALLER = [StepErrorType.InstallerMissing, StepErrorType.InstallerFailed, StepErrorType.RehearsalToolMissing];

const step = actionWithoutParams;

const { installCheckBinary, installWriteConfig, installCreateManifests, installMastersSchedulable } = installActivities;
const { installCreateIgnition, installPublishIgnition, installIgnitionFresh } = installActivities;

export const installDeclarations = [
  step(
    'installCheckBinary',
    'the openshift-install binary installs the lab’s cluster.version',
    [...INSTALLER, StepErrorType.InstallerVersionMismatch],
    installCheckBinary,
    installPlans.installCheckBinary,
  ),
  step(
    'installWriteConfig',
    'install-config.yaml in the install folder, secrets filled on disk only (mode 0600)',
    FOLDER,
    installWriteConfig,
    installPlans.installWriteConfig,
  ),
  step(
    'installCreateManifests',
    '`openshift-install create manifests`',
    [...FOLDER, ...INSTALLER, StepErrorType.InstallerOutputMissing],
    installCreateManifests,
    installPlans.installCreateManifests,
  ),
  step(
    'installMastersSchedulable',
    '`mastersSchedulable` in the scheduler manifest, as the lab says',
    FOLDER,
    installMastersSchedulable,
    installPlans.installMastersSchedulable,
  ),
  step(
    'installCreateIgnition',
    '`openshift-install create ignition-configs`',
    [...FOLDER, ...INSTALLER, StepErrorType.InstallerOutputMissing],
    installCreateIgnition,
    installPlans.installCreateIgnition,
  ),
  step(
    'installPublishIgnition',
    'the ignition configs on every HTTP host',
    [StepErrorType.IgnitionMissing],
    installPublishIgnition,
    installPlans.installPublishIgnition,
  ),
  step(
    'installIgnitionFresh',
    'refuses ignition configs older than their certificates allow, before nodes boot',
    [StepErrorType.IgnitionMissing, StepErrorType.IgnitionExpired],
    installIgnitionFresh,
    installPlans.installIgnitionFresh,
  ),
  step(
    'installBootAssets',
    'the RHCOS kernel, initramfs and rootfs on a PXE/HTTP host, sha256 verified',
    [
      StepErrorType.NotAPxeHost,
      StepErrorType.MirrorUnreachable,
      StepErrorType.MirrorChecksumsMissing,
      StepErrorType.BootAssetSumUnknown,
      StepErrorType.BootAssetDownloadFailed,
      StepErrorType.BootAssetChecksumMismatch,
      StepErrorType.BootAssetCheckFailed,
      StepErrorType.RehearsalEndpointsMissing,
    ],
    installBootAssets,
    installPlans.installBootAssets,
  ),
] as const;

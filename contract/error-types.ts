/**
 * Failure types: the `type` of the ApplicationFailure that ends a step's attempt or a run, shown in
 * the history and by `runbook status`. One name per cause, from here, so that tests, the interpreter
 * and whoever reads a history agree on the spelling. Workflow-safe: plain data.
 *
 * Errors thrown as classes (SshError, RehearsalTargetError, …) keep their class name as their type.
 * Activities name their failures `StepErrorType.X` (a typed union), never a string literal.
 */
export const StepErrorType = {
  // The lab or the hosts are not as the step needs them: the run pauses at once for the operator.
  UnknownHost: 'UnknownHost',
  UnknownNode: 'UnknownNode',
  SecretUnresolved: 'SecretUnresolved',
  FolderMissing: 'FolderMissing',
  ServiceCheckFailed: 'ServiceCheckFailed',
  DomainMissing: 'DomainMissing',
  RehearsalEndpointsMissing: 'RehearsalEndpointsMissing',
  // The lab file and the run (lab.load, rebuild), a step's parameters, a lab without the part a step needs.
  InvalidStepParams: 'InvalidStepParams',
  LabSectionMissing: 'LabSectionMissing',
  InvalidLab: 'InvalidLab',
  LabFileMissing: 'LabFileMissing',
  RunbookAlreadyRunning: 'RunbookAlreadyRunning',
  TeardownNotAllowed: 'TeardownNotAllowed',
  // The helper hosts (DNS, DHCP, PXE, HAProxy pushes).
  NoServiceHost: 'NoServiceHost',
  NotAFile: 'NotAFile',
  ServiceReloadFailed: 'ServiceReloadFailed',
  // openshift-install, the install folder, the RHCOS boot files.
  BootAssetCheckFailed: 'BootAssetCheckFailed',
  BootAssetChecksumMismatch: 'BootAssetChecksumMismatch',
  BootAssetDownloadFailed: 'BootAssetDownloadFailed',
  BootAssetSumUnknown: 'BootAssetSumUnknown',
  CommandMissing: 'CommandMissing',
  IgnitionExpired: 'IgnitionExpired',
  IgnitionMissing: 'IgnitionMissing',
  InstallFolderStale: 'InstallFolderStale',
  InstallFolderUnknown: 'InstallFolderUnknown',
  InstallerFailed: 'InstallerFailed',
  InstallerMissing: 'InstallerMissing',
  InstallerOutputMissing: 'InstallerOutputMissing',
  InstallerVersionMismatch: 'InstallerVersionMismatch',
  MirrorChecksumsMissing: 'MirrorChecksumsMissing',
  MirrorUnreachable: 'MirrorUnreachable',
  NotAPxeHost: 'NotAPxeHost',
  RehearsalToolMissing: 'RehearsalToolMissing',
  // Power: libvirt, IPMI, Redfish, manual.
  BmcAuthRefused: 'BmcAuthRefused',
  BmcCertificateRejected: 'BmcCertificateRejected',
  BmcSessionRefused: 'BmcSessionRefused',
  BootDiskMissing: 'BootDiskMissing',
  IpmitoolMissing: 'IpmitoolMissing',
  ManualPower: 'ManualPower',
  NextBootUnsupported: 'NextBootUnsupported',
  RedfishNotFound: 'RedfishNotFound',
  RedfishRejected: 'RedfishRejected',
  ReinstallUnsupported: 'ReinstallUnsupported',
  // The cluster: its kubeconfig.
  KubeconfigMissing: 'KubeconfigMissing',
  KubeconfigUnusable: 'KubeconfigUnusable',
  // The cluster: object sets.
  UnknownObjectSet: 'UnknownObjectSet',
  // Day 2: infra nodes, Ceph, the registry, egress.
  DrainBlocked: 'DrainBlocked',
  DriverManifestMissing: 'DriverManifestMissing',
  EmptyDirRefused: 'EmptyDirRefused',
  InfraNodesMismatch: 'InfraNodesMismatch',
  InfraPoolDegraded: 'InfraPoolDegraded',
  NamespaceMismatch: 'NamespaceMismatch',
  NoWorkerConfigs: 'NoWorkerConfigs',
  NodeSelectorMatchesNothing: 'NodeSelectorMatchesNothing',
  OperatorDegraded: 'OperatorDegraded',
  PreviousInfraNodeNotReady: 'PreviousInfraNodeNotReady',
  RehearsalMirrorMissing: 'RehearsalMirrorMissing',
  StorageClassMissing: 'StorageClassMissing',
  // The engine's own: a step broke its contract, a change did not take, a wait ran out, a worker stops.
  InvalidStepOutcome: 'InvalidStepOutcome',
  ConvergeNotReached: 'ConvergeNotReached',
  WaitDeadlineExceeded: 'WaitDeadlineExceeded',
  WorkerStopping: 'WorkerStopping',
  // A step's lab reference that neither its input, the worker's cache nor the run's history resolves.
  LabNotFound: 'LabNotFound',
  // Whole runs: a workflow type the worker does not know, a bad input, `runbook resume --abort`.
  UnknownRunbook: 'UnknownRunbook',
  InvalidRunbookInput: 'InvalidRunbookInput',
  RunbookAborted: 'RunbookAborted',
} as const;
export type StepErrorType = (typeof StepErrorType)[keyof typeof StepErrorType];

/**
 * The `install` block of a lab: where `openshift-install` keeps the install folder, which binary runs,
 * and the install's deadlines. Pure (schema only), so workflow code may import it as a type.
 */
import { z } from 'zod';

/** A duration as the installer prints them: `20m`, `1h30m`, `45s`. */
export const duration = z.string().regex(/^(?=\d)(\d+h)?(\d+m)?(\d+s)?$/, {
  message: 'must be a duration such as 20m, 1h30m or 45s',
});

export const installSchema = z.strictObject({
  /**
   * Folder on the worker that runs the install steps, where `openshift-install` writes its state, the
   * ignition configs and `auth/kubeconfig`. An absolute path or `~/…`; default
   * `~/.local/share/openshift-runbooks/<lab name>/install`. Keep it: the cluster's admin credentials live there.
   */
  dir: z
    .string()
    .regex(/^(\/|~\/)/, { message: 'must be an absolute path or start with ~/ (e.g. ~/labs/intra/install)' })
    .optional()
    .describe(
      'Folder on the worker that runs the install steps, where openshift-install keeps its state, the ignition ' +
        'configs and auth/kubeconfig (absolute or ~/…; default ~/.local/share/openshift-runbooks/<lab>/install).',
    ),
  /** The `openshift-install` binary: a path, or a name found on the worker's PATH. */
  openshiftInstall: z
    .string()
    .min(1)
    .default('openshift-install')
    .describe("The openshift-install binary for the lab's release: a path, or a name on the worker's PATH."),
  /**
   * Ignition configs embed certificates that expire 24 hours after `create ignition-configs`; power-on
   * steps refuse older ones. Lower it to leave a margin for slow boots.
   */
  ignitionMaxAgeHours: z
    .number()
    .positive()
    .max(24)
    .default(24)
    .describe('Hours after create ignition-configs during which nodes may boot with them (certificates expire at 24).'),
  /**
   * The CSR step approves nothing, and pauses naming who files them, while more CSRs are pending than
   * the nodes it waits for plus this margin: cluster-machine-approver's rule (machines + 100).
   */
  csrPendingMargin: z
    .number()
    .int()
    .min(0)
    .default(100)
    .describe(
      'The CSR step stops approving, and pauses naming the requesters, while more CSRs are pending than its ' +
        "nodes plus this margin (cluster-machine-approver's machines + 100).",
    ),
  /** Deadlines of the install's waits; the defaults are `openshift-install wait-for`'s. */
  deadlines: z
    .strictObject({
      /** Until the bootstrap API answers. */
      bootstrapApi: duration.default('20m').describe('How long to wait for the bootstrap API to answer.'),
      /** Until the `kube-system/bootstrap` ConfigMap says `complete`, after the API answered. */
      bootstrapComplete: duration
        .default('40m')
        .describe('How long to wait, after the API answered, for bootstrapping to complete.'),
      /** Until the ClusterVersion reports the install complete. */
      installComplete: duration
        .default('40m')
        .describe('How long to wait for the ClusterVersion to report the install complete.'),
    })
    .default({ bootstrapApi: '20m', bootstrapComplete: '40m', installComplete: '40m' })
    .describe("Deadlines of the install's waits; the defaults are openshift-install wait-for's."),
});

export type InstallSettings = z.output<typeof installSchema>;

export { durationMs } from './durations.js';

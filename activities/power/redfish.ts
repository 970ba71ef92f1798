/**
 * Redfish power over HTTPS: `GET /redfish/v1/Systems/<id>` for PowerState and the boot override,
 * `POST …/Actions/ComputerSystem.Reset` with ResetType On or ForceOff, and `PATCH` of
 * `Boot.BootSourceOverrideTarget` (Pxe or Hdd) with `BootSourceOverrideEnabled: Once`. Basic auth from
 * the lab's secret reference; the certificate verified against the lab's CA (or the system's), unless
 * the lab says `insecure: true`.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Node } from '../../lab/schema.js';
import { resolveSecret } from '../../lab/secrets.js';
import { redfishTargetFor, type BmcEndpoints, type RedfishTarget } from '../../transport/bmc-targets.js';
import { basicAuth, HttpsError, httpsJson, type HttpsReply } from '../../transport/https.js';
import type { BootDevice, PowerDriver, PowerState } from './driver.js';
import { StepErrorType } from '../../contract/error-types.js';

export interface RedfishOptions {
  /** The simulated BMCs of a rehearsal; undefined for a real run. */
  endpoints?: BmcEndpoints;
  signal?: AbortSignal;
}

const POWER_STATES: Record<string, PowerState> = { On: 'on', Off: 'off' };
const BOOT_TARGETS: Record<BootDevice, string> = { pxe: 'Pxe', disk: 'Hdd' };

/** The messages of a Redfish error body (`error.message` and each `@Message.ExtendedInfo[].Message`). */
function redfishMessages(reply: HttpsReply): string {
  const error = (reply.json as { error?: { message?: unknown; '@Message.ExtendedInfo'?: unknown } } | undefined)?.error;
  const extended = Array.isArray(error?.['@Message.ExtendedInfo'])
    ? (error['@Message.ExtendedInfo'] as Array<{ Message?: unknown }>).map((info) => info.Message)
    : [];
  const messages = [error?.message, ...extended].filter((text): text is string => typeof text === 'string');
  return messages.length > 0 ? messages.join(' ') : reply.text.slice(0, 200) || `HTTP ${reply.status}`;
}

export function redfishDriver(options: RedfishOptions = {}): PowerDriver {
  const targetOf = (node: Node): RedfishTarget =>
    redfishTargetFor(node, options.endpoints ? { rehearsal: options.endpoints } : {});
  const systemPath = (target: RedfishTarget) => `/redfish/v1/Systems/${encodeURIComponent(target.systemId)}`;
  const where = (node: Node) => {
    const target = targetOf(node);
    return `Redfish system ${target.systemId} at ${target.baseUrl}`;
  };

  const call = async (node: Node, method: string, path: string, body?: unknown): Promise<HttpsReply> => {
    const target = targetOf(node);
    const label = `the Redfish service of ${node.name}`;
    const password = await resolveSecret(target.password);
    const ca = target.ca && ('pem' in target.ca ? target.ca.pem : await resolveSecret(target.ca.ref));
    const reply = await httpsJson(`${target.baseUrl}${path}`, method, body, {
      label,
      rehearsal: target.rehearsal,
      insecure: target.insecure,
      headers: { Authorization: basicAuth(target.username, password), 'OData-Version': '4.0' },
      ...(ca !== undefined && { ca }),
      ...(options.signal && { signal: options.signal }),
    }).catch((error: unknown) => {
      // A certificate that does not verify will not verify on the next attempt either.
      if (error instanceof HttpsError && error.code === 'CERT') {
        throw ApplicationFailure.nonRetryable(
          `${error.message}: set nodes[${node.name}].power.ca to the CA that signed it (file:/path/ca.pem)` +
            `${target.rehearsal ? '' : ', or insecure: true to accept any certificate'}; then resume`,
          StepErrorType.BmcCertificateRejected,
        );
      }
      throw error;
    });
    if (reply.status >= 200 && reply.status < 300) return reply;
    const said = redfishMessages(reply);
    const power = node.power as Extract<Node['power'], { type: 'redfish' }>;
    if (reply.status === 401 || reply.status === 403) {
      // Not retried: BMCs lock an account after a few failed logins.
      throw ApplicationFailure.nonRetryable(
        `${label} (${target.baseUrl}) refused user ${target.username} (HTTP ${reply.status}: ${said}). ` +
          `Check nodes[${node.name}].power.username and the password that ${power.password} holds; then resume`,
        StepErrorType.BmcAuthRefused,
      );
    }
    if (reply.status === 404) {
      throw ApplicationFailure.nonRetryable(
        `${label} has no ${path} (HTTP 404: ${said}): check nodes[${node.name}].power.systemId ` +
          `against the members of ${target.baseUrl}/redfish/v1/Systems`,
        StepErrorType.RedfishNotFound,
      );
    }
    if (reply.status >= 400 && reply.status < 500) {
      throw ApplicationFailure.nonRetryable(
        `${label} rejected ${method} ${path} (HTTP ${reply.status}): ${said}`,
        StepErrorType.RedfishRejected,
      );
    }
    throw new Error(`${label} answered ${method} ${path} with HTTP ${reply.status}: ${said}`);
  };

  const system = async (node: Node) => {
    const reply = await call(node, 'GET', systemPath(targetOf(node)));
    return (reply.json ?? {}) as {
      PowerState?: string;
      Boot?: { BootSourceOverrideTarget?: string; BootSourceOverrideEnabled?: string };
    };
  };

  const reset = async (node: Node, resetType: 'On' | 'ForceOff') => {
    await call(node, 'POST', `${systemPath(targetOf(node))}/Actions/ComputerSystem.Reset`, { ResetType: resetType });
  };

  const setNextBoot = async (node: Node, device: BootDevice) => {
    await call(node, 'PATCH', systemPath(targetOf(node)), {
      Boot: { BootSourceOverrideTarget: BOOT_TARGETS[device], BootSourceOverrideEnabled: 'Once' },
    });
    return `next boot of ${node.name} from ${device} (${where(node)})`;
  };

  return {
    where,

    async state(node) {
      return POWER_STATES[(await system(node)).PowerState ?? ''] ?? 'unknown';
    },

    async powerOn(node, { pxe } = {}) {
      if (pxe) await setNextBoot(node, 'pxe');
      await reset(node, 'On');
      return `powered on through ${where(node)}${pxe ? ', PXE once' : ''}`;
    },

    async powerOff(node) {
      await reset(node, 'ForceOff');
      return `powered off through ${where(node)}`;
    },

    setNextBoot,

    async nextBoot(node) {
      const boot = (await system(node)).Boot;
      if (!boot || boot.BootSourceOverrideEnabled === 'Disabled') return 'none';
      const device = (Object.keys(BOOT_TARGETS) as BootDevice[]).find(
        (key) => BOOT_TARGETS[key] === boot.BootSourceOverrideTarget,
      );
      return device ?? 'none';
    },

    close: async () => {},
  };
}

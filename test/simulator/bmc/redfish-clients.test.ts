/**
 * The simulated Redfish BMC answers the clients real deployments use: DMTF's `redfishtool` and
 * OpenStack's `sushy` (the library of Ironic and metal3), both the Debian packages, over HTTPS on
 * loopback. Each lists the systems, reads the power state, resets the node (ComputerSystem.Reset)
 * and sets a one-time PXE boot override; the power board and boot overrides show what happened.
 * sushy logs in through the SessionService (its default, as Ironic's) and verifies the service with
 * the simulator's CA; redfishtool uses Basic authentication, or a session with `-A Session`, and does
 * not verify certificates.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { REDFISH_PASSWORD, startPowerLab, type PowerLab } from '../../activities/power/support.js';

const SYSTEM_ID = 'System.Embedded.1';
const SYSTEM = `/redfish/v1/Systems/${SYSTEM_ID}`;

let t: PowerLab;
let url: string;
let scratch: string;
let caFile: string;

beforeAll(async () => {
  t = await startPowerLab();
  const bmc = t.sim.endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
  if (bmc.protocol !== 'redfish') throw new Error('compute5 is the Redfish node');
  url = bmc.url;
  scratch = await mkdtemp(path.join(tmpdir(), 'runbook-redfish-clients-'));
  caFile = path.join(scratch, 'ca.pem');
  await writeFile(caFile, bmc.caCert);
});
afterAll(async () => {
  await t?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function resetBoard(): void {
  t.sim.bmcs.boot.set('compute5', 'none');
  t.sim.hosts.power.set('compute5', 'off');
}

describe('redfishtool', () => {
  let config: string;
  beforeAll(async () => {
    // Credentials in redfishtool's config file (-c), so that the password is in no argv.
    config = path.join(scratch, 'redfishtool.json');
    await writeFile(config, JSON.stringify({ user: 'root', password: REDFISH_PASSWORD }), { mode: 0o600 });
    resetBoard();
  });

  const redfishtool = (args: string[], configFile = config) =>
    execa('redfishtool', ['-r', url.replace(/^https:\/\//, ''), '-c', configFile, '-S', 'Always', '-n', ...args], {
      reject: false,
    });

  test('lists the systems and reads the power state', async () => {
    const list = await redfishtool(['Systems', 'list']);
    expect(list.exitCode).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ Members: [{ Id: SYSTEM_ID, '@odata.id': SYSTEM }] });
    const state = await redfishtool(['Systems', '-I', SYSTEM_ID, 'get', '-P', 'PowerState']);
    expect(state.exitCode).toBe(0);
    expect(JSON.parse(state.stdout)).toEqual({ PowerState: 'Off' });
  });

  test('sets a one-time PXE boot and resets the node on; the power-on uses the override', async () => {
    const boot = await redfishtool(['Systems', '-I', SYSTEM_ID, 'setBootOverride', 'Once', 'Pxe']);
    expect(boot.exitCode).toBe(0);
    expect((await t.boards()).boot.compute5).toMatchObject({ target: 'pxe', mode: 'Once' });
    const on = await redfishtool(['Systems', '-I', SYSTEM_ID, 'reset', 'On']);
    expect(on.exitCode).toBe(0);
    const boards = await t.boards();
    expect(boards.power.compute5).toBe('on');
    expect(boards.boot.compute5).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'pxe' });
    const state = await redfishtool(['Systems', '-I', SYSTEM_ID, 'get', '-P', 'PowerState']);
    expect(JSON.parse(state.stdout)).toEqual({ PowerState: 'On' });
    expect((await redfishtool(['Systems', '-I', SYSTEM_ID, 'reset', 'ForceOff'])).exitCode).toBe(0);
    expect((await t.boards()).power.compute5).toBe('off');
  });

  test('with -A Session it logs in through the SessionService and resets the node with the token', async () => {
    const before = t.logs.length;
    const on = await redfishtool(['-A', 'Session', 'Systems', '-I', SYSTEM_ID, 'reset', 'On']);
    expect(on.exitCode).toBe(0);
    expect((await t.boards()).power.compute5).toBe('on');
    const logged = t.logs.slice(before).join('\n');
    expect(logged).toContain('Redfish compute5: session opened for root');
    expect(logged).toContain('Redfish compute5: session of root closed');
    expect((await redfishtool(['-A', 'Session', 'Systems', '-I', SYSTEM_ID, 'reset', 'ForceOff'])).exitCode).toBe(0);
    expect((await t.boards()).power.compute5).toBe('off');
  });

  test('a wrong password is refused with HTTP 401, and changes nothing', async () => {
    const wrong = path.join(scratch, 'redfishtool-wrong.json');
    await writeFile(wrong, JSON.stringify({ user: 'root', password: 'not-it' }), { mode: 0o600 });
    const refused = await redfishtool(['Systems', '-I', SYSTEM_ID, 'reset', 'On'], wrong);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/status_code: 401/);
    expect((await t.boards()).power.compute5).toBe('off');
  });
});

/** One sushy call: `op` and its argument; prints a JSON result line. Runs Debian's python3. */
const SUSHY = `
import json, os, sys
import sushy
op, arg = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
try:
    root = sushy.Sushy(os.environ['BMC_URL'] + '/redfish/v1', username='root',
                       password=os.environ['BMC_PASSWORD'], verify=os.environ['BMC_CA'])
    if op == 'list':
        print(json.dumps(sorted(root.get_system_collection().members_identities)))
        sys.exit(0)
    system = root.get_system('${SYSTEM}')
    if op == 'state':
        print(json.dumps({'power': system.power_state.value, 'target': system.boot.target.value,
                          'enabled': system.boot.enabled.value,
                          'resets': sorted(value.value for value in system.get_allowed_reset_system_values())}))
    elif op == 'reset':
        system.reset_system(sushy.ResetType(arg))
        print(json.dumps({'reset': arg}))
    elif op == 'pxe-once':
        system.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_PXE, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)
        print(json.dumps({'boot': 'pxe once'}))
except sushy.exceptions.SushyError as error:
    print(json.dumps({'error': type(error).__name__, 'message': str(error)}))
    sys.exit(1)
`;

describe('sushy', () => {
  let script: string;
  beforeAll(async () => {
    script = path.join(scratch, 'sushy-call.py');
    await writeFile(script, SUSHY);
    await chmod(script, 0o644);
    resetBoard();
  });

  const sushy = async (op: string, arg?: string, password = REDFISH_PASSWORD) => {
    // requests prefers REQUESTS_CA_BUNDLE from the environment over a session's verify=: leave it out.
    const { REQUESTS_CA_BUNDLE: _bundle, CURL_CA_BUNDLE: _curl, ...env } = process.env;
    const result = await execa('/usr/bin/python3', [script, op, ...(arg ? [arg] : [])], {
      env: { ...env, BMC_URL: url, BMC_PASSWORD: password, BMC_CA: caFile },
      extendEnv: false,
      reject: false,
    });
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    return {
      exitCode: result.exitCode,
      result: last ? (JSON.parse(last) as unknown) : undefined,
      stderr: result.stderr,
    };
  };

  test('lists the systems and reads power state, boot override and the allowed resets', async () => {
    const before = t.logs.length;
    expect(await sushy('list')).toMatchObject({ exitCode: 0, result: [SYSTEM] });
    // Through a session, as Ironic: no fallback to Basic after a refused login.
    const logged = t.logs.slice(before).join('\n');
    expect(logged).toContain('Redfish compute5: session opened for root');
    expect(logged).not.toContain('refused');
    expect(await sushy('state')).toMatchObject({
      exitCode: 0,
      result: {
        power: 'Off',
        target: 'None',
        enabled: 'Disabled',
        resets: ['ForceOff', 'ForceRestart', 'GracefulShutdown', 'On', 'PowerCycle'],
      },
    });
  });

  test('sets a one-time PXE boot and resets the node on, as Ironic does; the power-on uses it', async () => {
    expect(await sushy('pxe-once')).toMatchObject({ exitCode: 0 });
    expect((await t.boards()).boot.compute5).toMatchObject({ target: 'pxe', mode: 'Once' });
    expect(await sushy('state')).toMatchObject({ result: { target: 'Pxe', enabled: 'Once' } });
    expect(await sushy('reset', 'On')).toMatchObject({ exitCode: 0 });
    const boards = await t.boards();
    expect(boards.power.compute5).toBe('on');
    expect(boards.boot.compute5).toEqual({ target: 'none', mode: 'Disabled', lastBoot: 'pxe' });
    expect(await sushy('state')).toMatchObject({ result: { power: 'On' } });
    expect(await sushy('reset', 'ForceOff')).toMatchObject({ exitCode: 0 });
    expect((await t.boards()).power.compute5).toBe('off');
  });

  test('a wrong password ends in sushy’s access error, and changes nothing', async () => {
    const refused = await sushy('reset', 'On', 'not-it');
    expect(refused.exitCode).toBe(1);
    expect(refused.result).toMatchObject({ error: 'AccessError' });
    expect((await t.boards()).power.compute5).toBe('off');
  });
});

/**
 * The simulated Redfish service, spoken to directly over HTTPS: strict about authentication, the
 * ResetType values and the JSON shapes, as the DMTF schema and a real BMC are.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { basicAuth, httpsJson, type HttpsReply } from '../../../transport/https.js';
import { REDFISH_PASSWORD, startPowerLab, type PowerLab } from '../../activities/power/support.js';

let t: PowerLab;
let base: string;
let ca: string;
const SYSTEM = '/redfish/v1/Systems/System.Embedded.1';
const RESET = `${SYSTEM}/Actions/ComputerSystem.Reset`;

beforeAll(async () => {
  t = await startPowerLab();
  const bmc = t.sim.endpoints.bmcs.find((candidate) => candidate.node === 'compute5')!;
  if (bmc.protocol !== 'redfish') throw new Error('compute5 is the Redfish node');
  base = bmc.url;
  ca = bmc.caCert;
});
afterAll(() => t?.stop());

function call(
  method: string,
  path: string,
  body?: unknown,
  options: { password?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpsReply> {
  const password = options.password === undefined ? REDFISH_PASSWORD : options.password;
  return httpsJson(`${base}${path}`, method, body, {
    label: 'test',
    ca,
    rehearsal: true,
    headers: { ...(password !== null && { Authorization: basicAuth('root', password) }), ...options.headers },
  });
}

function messageId(reply: HttpsReply): string | undefined {
  return (reply.json as { error?: { '@Message.ExtendedInfo'?: Array<{ MessageId?: string }> } })?.error?.[
    '@Message.ExtendedInfo'
  ]?.[0]?.MessageId;
}

describe('authentication', () => {
  test('the service root answers without credentials, a system does not', async () => {
    const root = await call('GET', '/redfish/v1', undefined, { password: null });
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ Systems: { '@odata.id': '/redfish/v1/Systems' } });
    const anonymous = await call('GET', SYSTEM, undefined, { password: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="Redfish"');
    expect(messageId(anonymous)).toBe('Base.1.8.ResourceAtUriUnauthorized');
  });

  test('a wrong password or user is refused, and changes nothing', async () => {
    expect((await call('POST', RESET, { ResetType: 'On' }, { password: 'nope' })).status).toBe(401);
    const wrongUser = await httpsJson(
      `${base}${RESET}`,
      'POST',
      { ResetType: 'On' },
      {
        label: 'test',
        ca,
        rehearsal: true,
        headers: { Authorization: basicAuth('admin', REDFISH_PASSWORD) },
      },
    );
    expect(wrongUser.status).toBe(401);
    expect((await t.boards()).power.compute5).toBe('off');
  });
});

describe('sessions', () => {
  const SESSIONS = '/redfish/v1/SessionService/Sessions';

  test('a login with the lab credentials gives a token that works until its session is deleted', async () => {
    const refused = await call('POST', SESSIONS, { UserName: 'root', Password: 'nope' }, { password: null });
    expect(refused.status).toBe(401);
    expect(refused.headers['x-auth-token']).toBeUndefined();
    const login = await call('POST', SESSIONS, { UserName: 'root', Password: REDFISH_PASSWORD }, { password: null });
    expect(login.status).toBe(201);
    const token = login.headers['x-auth-token'] as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const location = login.headers.location as string;
    expect(location).toMatch(new RegExp(`^${SESSIONS}/[0-9a-f-]{36}$`));
    const withToken = { password: null, headers: { 'X-Auth-Token': token } };
    expect((await call('GET', SYSTEM, undefined, withToken)).status).toBe(200);
    expect((await call('GET', location, undefined, withToken)).json).toMatchObject({ UserName: 'root' });
    expect((await call('DELETE', location, undefined, withToken)).status).toBe(204);
    expect((await call('GET', SYSTEM, undefined, withToken)).status).toBe(401);
    const forged = { password: null, headers: { 'X-Auth-Token': 'f'.repeat(48) } };
    expect((await call('GET', SYSTEM, undefined, forged)).status).toBe(401);
  });
});

describe('resources', () => {
  test('the Systems collection lists the system; the system shows power, boot override and the Reset action', async () => {
    const collection = await call('GET', '/redfish/v1/Systems');
    expect(collection.json).toMatchObject({ 'Members@odata.count': 1, Members: [{ '@odata.id': SYSTEM }] });
    const system = await call('GET', SYSTEM);
    expect(system.status).toBe(200);
    expect(system.json).toMatchObject({
      '@odata.id': SYSTEM,
      '@odata.type': expect.stringMatching(/^#ComputerSystem\.v1_\d+_\d+\.ComputerSystem$/),
      Id: 'System.Embedded.1',
      PowerState: 'Off',
      Boot: { BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideTarget: 'None', BootSourceOverrideMode: 'UEFI' },
      Actions: {
        '#ComputerSystem.Reset': {
          target: RESET,
          'ResetType@Redfish.AllowableValues': ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'],
        },
      },
    });
  });

  test('an unknown system or path is 404, a wrong method 405', async () => {
    expect((await call('GET', '/redfish/v1/Systems/1')).status).toBe(404);
    expect(messageId(await call('GET', '/redfish/v1/Managers'))).toBe('Base.1.8.ResourceMissingAtURI');
    const deleted = await call('DELETE', SYSTEM);
    expect(deleted.status).toBe(405);
    expect(deleted.headers.allow).toBe('GET, PATCH');
    expect((await call('GET', RESET)).status).toBe(405);
  });
});

describe('ComputerSystem.Reset', () => {
  test.each([
    [{ ResetType: 'Off' }, 'ActionParameterValueNotInList'],
    [{ ResetType: 'on' }, 'ActionParameterValueNotInList'],
    [{ ResetType: 1 }, 'ActionParameterValueNotInList'],
    [{}, 'ActionParameterMissing'],
    [{ ResetType: 'On', Force: true }, 'ActionParameterUnknown'],
  ])('%j is refused with %s and changes nothing', async (body, id) => {
    const reply = await call('POST', RESET, body);
    expect(reply.status).toBe(400);
    expect(messageId(reply)).toBe(`Base.1.8.${id}`);
    expect((await t.boards()).power.compute5).toBe('off');
  });

  test('a body that is not JSON is refused', async () => {
    const reply = await httpsJson(`${base}${RESET}`, 'POST', undefined, {
      label: 'test',
      ca,
      rehearsal: true,
      headers: { Authorization: basicAuth('root', REDFISH_PASSWORD), 'Content-Type': 'text/plain' },
    });
    expect(reply.status).toBe(415);
  });

  test('On, GracefulShutdown, ForceRestart and ForceOff act on the power board', async () => {
    expect((await call('POST', RESET, { ResetType: 'On' })).status).toBe(204);
    expect((await call('GET', SYSTEM)).json).toMatchObject({ PowerState: 'On' });
    expect((await call('POST', RESET, { ResetType: 'GracefulShutdown' })).status).toBe(204);
    expect((await t.boards()).power.compute5).toBe('off');
    // ForceRestart of an off system powers it on.
    expect((await call('POST', RESET, { ResetType: 'ForceRestart' })).status).toBe(204);
    expect((await t.boards()).power.compute5).toBe('on');
    expect((await call('POST', RESET, { ResetType: 'ForceOff' })).status).toBe(204);
    expect((await t.boards()).power.compute5).toBe('off');
  });
});

describe('PATCH of the boot override', () => {
  test.each([
    [{ Boot: { BootSourceOverrideTarget: 'Floppy' } }, 'PropertyValueNotInList'],
    [{ Boot: { BootSourceOverrideEnabled: 'Always' } }, 'PropertyValueNotInList'],
    [{ Boot: { BootOrder: ['Pxe'] } }, 'PropertyUnknown'],
    [{ Boot: 'Pxe' }, 'PropertyValueTypeError'],
    [{ PowerState: 'On' }, 'PropertyNotWritable'],
    [{ AssetTag: 'x' }, 'PropertyUnknown'],
  ])('%j is refused with %s', async (body, id) => {
    const reply = await call('PATCH', SYSTEM, body);
    expect(reply.status).toBe(400);
    expect(messageId(reply)).toBe(`Base.1.8.${id}`);
    expect((await t.boards()).boot.compute5).toMatchObject({ target: 'none', mode: 'Disabled' });
  });

  test('Pxe Once is kept until the next power-on, which uses it', async () => {
    const patched = await call('PATCH', SYSTEM, {
      Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' },
    });
    expect(patched.status).toBe(204);
    expect((await call('GET', SYSTEM)).json).toMatchObject({
      Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' },
    });
    await call('POST', RESET, { ResetType: 'On' });
    expect((await call('GET', SYSTEM)).json).toMatchObject({
      PowerState: 'On',
      Boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled' },
    });
    expect((await t.boards()).boot.compute5).toMatchObject({ lastBoot: 'pxe' });
    await call('POST', RESET, { ResetType: 'ForceOff' });
  });
});

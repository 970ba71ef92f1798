/** The dev server helper, connection settings and search attribute registration, on a real server. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { msToTs } from '@temporalio/common/lib/time.js';
import getPort from 'get-port';
import { asUserError, ExitCode } from '../../cli/errors.js';
import { TemporalError, TemporalErrorKind } from '../../temporal/errors.js';
import { connectClient, loadTemporalConfig, workflowUiUrl } from '../../temporal/connection.js';
import { ensureSearchAttributes } from '../../temporal/search-attributes.js';
import { searchAttributeList } from '../../workflows/engine/api.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';

let temporal: TestTemporal;
beforeAll(async () => {
  temporal = await startTestTemporal();
});
afterAll(() => temporal?.stop());

const saved = { ...process.env };
afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('dev server', () => {
  it('starts with every project search attribute, and registering them again adds nothing', async () => {
    const { customAttributes } = await temporal.client.connection.operatorService.listSearchAttributes({
      namespace: temporal.namespace,
    });
    for (const { name } of searchAttributeList) expect(Object.keys(customAttributes ?? {})).toContain(name);
    await expect(ensureSearchAttributes(temporal.client.connection, temporal.namespace)).resolves.toEqual([]);
  });

  it('adds missing search attributes to a namespace that lacks them', async () => {
    const namespace = 'runbooks-fresh';
    await temporal.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // The start flags cover only the namespaces the dev server creates itself.
    await expect(ensureSearchAttributes(temporal.client.connection, namespace)).resolves.toEqual(
      searchAttributeList.map(({ name }) => name),
    );
    await expect(ensureSearchAttributes(temporal.client.connection, namespace)).resolves.toEqual([]);
  });
});

describe('connection settings', () => {
  it('defaults to the local server and derives its Web UI', () => {
    delete process.env.TEMPORAL_ADDRESS;
    delete process.env.TEMPORAL_NAMESPACE;
    delete process.env.TEMPORAL_UI_URL;
    process.env.TEMPORAL_CONFIG_FILE = temporal.env.TEMPORAL_CONFIG_FILE;
    const config = loadTemporalConfig();
    expect(config).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', uiUrl: 'http://127.0.0.1:8233' });
    expect(workflowUiUrl(config, 'install/intra')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows/install%2Fintra',
    );
  });

  it('follows TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_UI_URL', async () => {
    Object.assign(process.env, temporal.env, { TEMPORAL_UI_URL: 'https://temporal.example.com/' });
    const config = loadTemporalConfig();
    expect(config).toMatchObject({
      address: temporal.address,
      namespace: 'default',
      uiUrl: 'https://temporal.example.com',
    });
    const client = await connectClient(config);
    await client.connection.close();
  });

  it('says how to start a server when none answers', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    Object.assign(process.env, temporal.env, { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    const error = await connectClient(loadTemporalConfig(), { connectTimeoutMs: 500 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TemporalError);
    expect((error as TemporalError).kind).toBe(TemporalErrorKind.Unavailable);
    expect(asUserError(error)?.exitCode).toBe(ExitCode.UNAVAILABLE);
    expect((error as TemporalError).details.join('\n')).toMatch(/runbook server/);
  });
});

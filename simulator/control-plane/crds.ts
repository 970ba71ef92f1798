/**
 * The CRDs of OpenShift's kinds: openshift/api's own manifests, vendored unchanged under
 * crds/openshift-api/ (LICENSE and SOURCE there), and the few hand-written ones under
 * crds/hand-written/ for the kinds OpenShift serves from aggregated API servers (their README says why).
 * Installed with server-side apply once kube-apiserver is ready; the lab is ready once all are Established.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { apiCall, type ApiTarget } from './api-client.js';

export const CRD_DIR = fileURLToPath(new URL('./crds', import.meta.url));
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

interface CrdManifest {
  kind?: string;
  metadata?: { name?: string };
}

/** Every CRD manifest under crds/, as objects, in file order. */
export async function crdManifests(dir = CRD_DIR): Promise<CrdManifest[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  const manifests: CrdManifest[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(file, 'utf8'))) {
      const object = document.toJS() as CrdManifest | null;
      if (object?.kind !== 'CustomResourceDefinition' || !object.metadata?.name) {
        throw new Error(`${file} holds something other than a named CustomResourceDefinition`);
      }
      manifests.push(object);
    }
  }
  return manifests;
}

/** Applies every CRD (server-side apply, field manager `openshift-runbooks-lab`); returns their names. */
export async function installCrds(admin: ApiTarget): Promise<string[]> {
  const manifests = await crdManifests();
  await Promise.all(
    manifests.map((manifest) =>
      apiCall(admin, 'PATCH', `${CRD_PATH}/${manifest.metadata!.name}?fieldManager=openshift-runbooks-lab&force=true`, {
        body: manifest,
        contentType: 'application/apply-patch+yaml',
        timeoutMs: 120_000,
      }),
    ),
  );
  return manifests.map((manifest) => manifest.metadata!.name!);
}

interface CrdStatus {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

/** Waits until each CRD's Established condition is True, polling through `poll` (which bounds the wait). */
export async function waitUntilEstablished(
  admin: ApiTarget,
  names: readonly string[],
  poll: (what: string, check: () => Promise<boolean>) => Promise<void>,
): Promise<void> {
  await Promise.all(
    names.map((name) =>
      poll(`CRD ${name} Established`, async () => {
        const crd = (await apiCall(admin, 'GET', `${CRD_PATH}/${name}`)) as CrdStatus;
        const conditions = crd.status?.conditions ?? [];
        const refused = conditions.find(
          (condition) => condition.type === 'NamesAccepted' && condition.status === 'False',
        );
        if (refused) throw new Error(`CRD ${name}: names not accepted: ${refused.message ?? refused.reason}`);
        return conditions.some((condition) => condition.type === 'Established' && condition.status === 'True');
      }),
    ),
  );
}

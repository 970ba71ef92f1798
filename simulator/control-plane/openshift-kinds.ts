/**
 * OpenShift's kinds on the real control plane: the types the simulator serves from openshift/api's CRDs
 * (and the hand-written ones), and the field manager the lab's own writes carry there. (The first slice of
 * issue 18 copied the seeded store's objects of these kinds into the real server; the lab is now seeded
 * and run through the real API, ../lab-api.ts.)
 */
import { DEFAULT_RESOURCES, type ResourceType } from '../apiserver/resources.js';

export const LAB_FIELD_MANAGER = 'openshift-runbooks-lab';

/** An object of OpenShift's kinds the real server holds. */
export interface CopiedObject {
  /** The store key of its type (`machineconfigs.machineconfiguration.openshift.io`). */
  resource: string;
  namespace?: string;
  name: string;
}

/** The kinds the simulator serves from CRDs: OpenShift's. */
export function openshiftTypes(): ResourceType[] {
  return DEFAULT_RESOURCES.filter((type) => type.custom);
}

/**
 * The workflow bundle of the runbook worker: one workflow per runbook of the catalogue, workflow
 * type = runbook name. Runbooks whose names are valid identifiers are also named exports.
 */
import { catalogue } from './index.js';
import { dispatchByType, workflowsFor } from '../workflows/engine/dispatch.js';

const workflows = workflowsFor(catalogue);

export const preflight = workflows.preflight!;
/** The child that delivers a run's notices to the lab's webhooks (see workflows/engine/notices.ts). */
export { runbookNotice } from '../workflows/engine/notices.js';
export const selftest = workflows.selftest!;
export default dispatchByType(workflows);

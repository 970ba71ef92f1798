/** Workflow bundle entry of the power end-to-end test. */
import { dispatchByType, workflowsFor } from '../../../workflows/engine/dispatch.js';
import { powerOnComputesRunbook } from './power-runbook.js';

export default dispatchByType(workflowsFor({ [powerOnComputesRunbook.name]: powerOnComputesRunbook }));

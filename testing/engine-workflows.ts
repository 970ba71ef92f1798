/** Workflow bundle entry of the engine tests and the bench: the product runbooks and the test ones. */
import { dispatchByType, workflowsFor } from '../workflows/engine/dispatch.js';
import { engineTestCatalogue } from './engine-runbooks.js';

export { runbookNotice } from '../workflows/engine/notices.js';
export default dispatchByType(workflowsFor(engineTestCatalogue));

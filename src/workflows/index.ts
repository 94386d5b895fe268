/** Entry point for the worker's workflow bundle: every workflow type lives here. */
export { incidentWorkflow } from './incident-workflow';
export { playbookRunWorkflow } from './playbook-run-workflow';
export { auditAnchorWorkflow, auditPruneWorkflow } from './maintenance-workflows';

import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces (which can name hosts and users) travel in the failure's
 * encoded attributes, which the payload codec encrypts. Loaded by path: the worker bundles it
 * into the workflow sandbox, so this module must stay free of Node built-ins.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

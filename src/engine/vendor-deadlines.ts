/**
 * Vendor deadlines shared by the activities that call vendors and the workflows' activity
 * options (src/workflows/activity-options.ts explains them). Plain numbers, so both sides can
 * import them.
 */
/** Each first attempt of an automatic action inside the admission: its vendor deadline. */
export const FIRST_ATTEMPT_TIMEOUT_MS = 3_000;
/** All first attempts of one admission together. */
export const ADMISSION_VENDOR_BUDGET_MS = 5_000;
/** Less time left than this in the admission's budget: the attempt is left to the playbook run. */
export const FIRST_ATTEMPT_MIN_MS = 500;
/** How often a regular action activity heartbeats (well inside ACTION_ACTIVITY's heartbeat timeout). */
export const ACTION_HEARTBEAT_EVERY_MS = 2_000;

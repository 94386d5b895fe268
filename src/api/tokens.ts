/**
 * Nest injection tokens for the objects the API is built from outside Nest (ApiModule.forRoot):
 * feature modules inject these, or build their providers from them with factory providers.
 */
export const CONFIG = Symbol('InterlockConfig');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const SERVICES = Symbol('Services');
export const LOGGER = Symbol('Logger');
/** Test hooks of the console's sign-in (a movable clock, the IdP's fetch): ConsoleAuthHooks, `{}` in production. */
export const CONSOLE_HOOKS = Symbol('ConsoleAuthHooks');
/** The process's Lifecycle (src/runtime/health.ts): whether it is draining, for readiness. */
export const LIFECYCLE = Symbol('Lifecycle');

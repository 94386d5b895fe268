/**
 * Nest injection tokens for the objects the API is built from outside Nest (ApiModule.forRoot):
 * feature modules inject these, or build their providers from them with factory providers.
 */
export const CONFIG = Symbol('InterlockConfig');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const SERVICES = Symbol('Services');
export const LOGGER = Symbol('Logger');

/** Nest injection tokens for the objects the API is built from. */
export const CONFIG = Symbol('InterlockConfig');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const SERVICES = Symbol('Services');
export const LOGGER = Symbol('Logger');

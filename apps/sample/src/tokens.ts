/** Injection tokens of the sample's own providers. */
export const SETTINGS = Symbol('sample:settings');
export const BACKEND_DESCRIPTION = Symbol('sample:backend-description');

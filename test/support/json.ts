/**
 * Parsed JSON and YAML as tests handle it: API objects and lab documents they read and edit in place,
 * whatever their shape. Product code types its documents; tests use these names instead of `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests walk and edit documents of any shape
export type AnyJson = any;
export type JsonObject = Record<string, AnyJson>;

/**
 * The protocol's one rule for a missing value (PROTOCOL.md, `ERR_MISSING_PARAM`): absent,
 * `null`, or the empty string. It holds for verb params, action inputs and the action name.
 */
export function isMissing(value: unknown): value is undefined | null | "" {
  return value === undefined || value === null || value === "";
}

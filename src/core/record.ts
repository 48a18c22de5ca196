/**
 * The prototype of {@link emptyRecord}'s objects: frozen, itself without a prototype, so such an
 * object inherits no key (`constructor`, `toString`, `__proto__`'s accessor) and nothing can be
 * added to what it inherits.
 */
const NO_KEYS: object = Object.freeze(Object.create(null) as object);

/** Makes {@link emptyRecord}'s objects; `new` gives them V8's fast property layout. */
const Record_ = function () {} as unknown as new () => Record<string, unknown>;
Record_.prototype = NO_KEYS;

/**
 * An empty object for untrusted keys: it inherits none (a `__proto__` or `constructor` key is
 * plain data), like `Object.create(null)`, but keeps V8's fast property layout, where an
 * `Object.create(null)` object starts as a hash table, slower to fill and copy (figures in
 * docs/performance.md).
 */
export function emptyRecord(): Record<string, unknown> {
  return new Record_();
}

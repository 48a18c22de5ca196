/**
 * faye-redis (faye's Redis engine) publishes no types: the benchmarks only hand its engine to
 * faye's `NodeAdapter` as `engine: { type, host, port }`.
 */
declare module "faye-redis" {
  const engine: unknown;
  export default engine;
}

/** Script loads in flight or done, by URL: a page loads each library once. */
const loads = new Map<string, Promise<void>>();

/**
 * A global a library script defines (`Faye`, `io`). In a browser that lacks it, loads `src`
 * (the copy the server serves, so its version matches the server's) and returns what it
 * defined. Outside a browser it returns `undefined`: the caller imports the npm package.
 */
export async function loadBrowserGlobal<T>(name: string, src: string): Promise<T | undefined> {
  const scope = globalThis as unknown as Record<string, T | undefined>;
  if (scope[name] !== undefined) return scope[name];
  if (typeof document === "undefined") return undefined;
  let load = loads.get(src);
  if (load === undefined) {
    load = new Promise<void>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => {
        // Forget the failure and the tag, so a reconnect later tries again.
        loads.delete(src);
        script.remove();
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(script);
    });
    loads.set(src, load);
  }
  await load;
  const value = scope[name];
  if (value === undefined) throw new Error(`${src} loaded but defined no global ${name}`);
  return value;
}

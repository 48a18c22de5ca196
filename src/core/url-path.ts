/** A request URL's path, without its query (`/api/x?a=1` → `/api/x`); `/` for none. */
export function urlPath(url: string | undefined): string {
  if (url === undefined) return "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

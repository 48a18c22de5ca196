/** Whether a listening address is every interface's (`0.0.0.0`, `::`). */
export function isWildcardAddress(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

/**
 * A listening address as the host part of a URL: a wildcard address as `127.0.0.1` (where a
 * client on this machine reaches it), an IPv6 address in brackets.
 */
export function urlHost(address: string): string {
  const host = isWildcardAddress(address) ? "127.0.0.1" : address;
  return host.includes(":") ? `[${host}]` : host;
}

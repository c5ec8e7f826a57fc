/**
 * This machine's loopback: which host names are it, which loopback address reaches a port
 * published on a given host IP, and the URL of a host and port. No vscode import.
 */

/** Whether a host name (as in a URL, IPv6 in brackets or not) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost' || h === '::1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return v4 !== null && v4.slice(1).every((n) => Number(n) <= 255);
}

/** The loopback address that reaches a binding on `hostIp`; undefined: none does. */
export function loopbackFor(hostIp: string | undefined): string | undefined {
  if (hostIp === undefined || hostIp === '' || hostIp === '0.0.0.0') return '127.0.0.1';
  if (hostIp === '::') return '::1';
  return isLoopbackHost(hostIp) ? hostIp : undefined;
}

/** `http://host:port`, an IPv6 host in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

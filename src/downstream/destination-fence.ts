import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { DownstreamError } from './errors.ts';

/**
 * Where a DownstreamApp may send credentials and personal data. A DownstreamApp is written by whoever may create one,
 * which need not be whoever may read the operator's Secrets, so its URLs are untrusted: without this check an app
 * pointing at http://169.254.169.254/ or at the API server would receive a client secret or a bearer token.
 *
 * Rules, for the SCIM base URL and the OAuth2 token URL alike:
 * 1. https, unless the app sets `tls.insecureHttp`;
 * 2. every address the host resolves to (an IP literal is its own) must be neither loopback, link-local (cloud
 *    metadata lives there), unspecified, nor the API server's (KUBERNETES_SERVICE_HOST, the kubeconfig's server) —
 *    unless settings `downstream.allowedAddresses` covers it;
 * 3. the connection goes to the addresses checked, not to a second lookup, so DNS rebinding cannot swap them.
 */

export type RefusedClass = 'loopback' | 'link-local' | 'unspecified' | 'api-server';

const described: Record<RefusedClass, string> = {
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address',
  'api-server': "the API server's address",
};

const refusedRanges: [RefusedClass, string, number, 'ipv4' | 'ipv6'][] = [
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  // AWS's IPv6 instance metadata endpoint: a unique-local address that serves what 169.254.169.254 does.
  ['link-local', 'fd00:ec2::254', 128, 'ipv6'],
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
];

/** The class that makes an address off-limits, or undefined for an ordinary one. IPv4-mapped IPv6 counts as IPv4. */
export function classifyAddress(address: string, apiServer: ReadonlySet<string> = new Set()): RefusedClass | undefined {
  const ip = normalise(address);
  if (apiServer.has(ip)) return 'api-server';
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  for (const [cls, net, prefix, fam] of refusedRanges) {
    if (fam !== family) continue;
    const list = new BlockList();
    list.addSubnet(net, prefix, fam);
    if (list.check(ip, fam)) return cls;
  }
  return undefined;
}

/** Lowercase, zone-free, and IPv4-mapped IPv6 (`::ffff:7f00:1`, `::ffff:127.0.0.1`) as plain IPv4. */
export function normalise(address: string): string {
  const ip = address
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '')
    .toLowerCase();
  if (isIP(ip) !== 6) return ip;
  const groups = expandIpv6(ip);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return ip;
}

function expandIpv6(ip: string): number[] {
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );

export interface DestinationFenceOptions {
  /** Addresses or CIDRs that may be reached although refused by class (settings downstream.allowedAddresses). */
  allowed?: readonly string[];
  /** Host names or addresses of the API server. */
  apiServerHosts?: readonly string[];
  resolve?: Resolve;
}

export class DestinationFence {
  private readonly allowed = new BlockList();
  private readonly apiServerHosts: readonly string[];
  private readonly resolve: Resolve;

  constructor(options: DestinationFenceOptions = {}) {
    for (const entry of options.allowed ?? []) {
      const [net, prefix] = entry.split('/') as [string, string | undefined];
      const ip = normalise(net);
      const family = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
      if (!family) throw new Error(`downstream.allowedAddresses: ${entry} is not an address or CIDR`);
      this.allowed.addSubnet(ip, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family);
    }
    this.apiServerHosts = options.apiServerHosts ?? [];
    this.resolve = options.resolve ?? systemResolve;
  }

  /**
   * The addresses to connect to for `url`, all of them checked; a `DestinationRefused` error names the first rule
   * broken. Resolution failures are `Unreachable` (retried), refusals are not.
   */
  async check(url: URL, insecureHttp: boolean): Promise<string[]> {
    const where = `${url.protocol}//${url.host}`;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && insecureHttp))
      throw new DownstreamError('DestinationRefused', `${where}: only https is allowed (http needs tls.insecureHttp)`);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolve(host);
    } catch (err) {
      throw new DownstreamError('Unreachable', `${where}: ${(err as NodeJS.ErrnoException).code ?? 'no address'}`);
    }
    if (addresses.length === 0) throw new DownstreamError('Unreachable', `${where}: no address`);
    const apiServer = await this.apiServerAddresses();
    for (const address of addresses) {
      const cls = classifyAddress(address, apiServer);
      if (cls && !this.isAllowed(address))
        throw new DownstreamError(
          'DestinationRefused',
          `${where} resolves to ${address}, ${described[cls]}; allow it in settings downstream.allowedAddresses if intended`,
        );
    }
    return addresses;
  }

  private isAllowed(address: string): boolean {
    const ip = normalise(address);
    return this.allowed.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
  }

  private async apiServerAddresses(): Promise<ReadonlySet<string>> {
    const out = new Set<string>();
    for (const host of this.apiServerHosts) {
      const bare = host.replace(/^\[|\]$/g, '');
      const found = isIP(bare) ? [bare] : await this.resolve(bare).catch(() => []);
      for (const a of found) out.add(normalise(a));
    }
    return out;
  }
}

/** The API server's hosts as this process knows them: the in-cluster Service and the kubeconfig's server. */
export function apiServerHosts(server: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const hosts = new Set<string>();
  if (env.KUBERNETES_SERVICE_HOST) hosts.add(env.KUBERNETES_SERVICE_HOST);
  if (server) {
    try {
      hosts.add(new URL(server).hostname);
    } catch {
      // A kubeconfig without a parseable server URL leaves only the environment.
    }
  }
  return [...hosts];
}

import { describe, expect, it } from 'vitest';
import { apiServerHosts, classifyAddress, DestinationFence, normalise } from './destination-fence.ts';
import { DownstreamError } from './errors.ts';

const refused = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DownstreamError);
  return err as DownstreamError;
};

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
  ])('classifies %s as %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each(['93.184.216.34', '10.0.0.5', '192.168.1.1', '2606:4700::1111', '169.253.255.255', '169.255.0.1'])(
    'lets %s through',
    (address) => {
      expect(classifyAddress(address)).toBeUndefined();
    },
  );

  it('refuses the API server address, IPv4-mapped or not', () => {
    const api = new Set(['10.96.0.1']);
    expect(classifyAddress('10.96.0.1', api)).toBe('api-server');
    expect(classifyAddress('::ffff:10.96.0.1', api)).toBe('api-server');
    expect(classifyAddress('10.96.0.2', api)).toBeUndefined();
  });

  it('normalises brackets, zones and case', () => {
    expect(normalise('[FE80::1%eth0]')).toBe('fe80::1');
    expect(normalise('::FFFF:127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('DestinationFence', () => {
  const resolveTo = (map: Record<string, string[]>) => async (host: string) => {
    const found = map[host];
    if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found;
  };

  it('refuses plain http without insecureHttp, for any host', async () => {
    const err = await refused(new DestinationFence().check(new URL('http://93.184.216.34/scim'), false));
    expect(err.code).toBe('DestinationRefused');
    expect(err.message).toContain('only https');
  });

  it('refuses the metadata address even with insecureHttp, and in the integer spelling URL parsing turns into it', async () => {
    const fence = new DestinationFence();
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://2852039166/',
      'https://[::ffff:a9fe:a9fe]/',
    ]) {
      const err = await refused(fence.check(new URL(url), true));
      expect(err.code).toBe('DestinationRefused');
      expect(err.message).toContain('link-local');
    }
  });

  it('refuses a name when any one of its addresses is refused', async () => {
    const fence = new DestinationFence({ resolve: resolveTo({ 'app.example.com': ['93.184.216.34', '127.0.0.1'] }) });
    const err = await refused(fence.check(new URL('https://app.example.com/scim'), false));
    expect(err.message).toContain('127.0.0.1');
  });

  it('refuses the API server by its kubeconfig host name and by KUBERNETES_SERVICE_HOST', async () => {
    const hosts = apiServerHosts('https://api.cluster.local:6443', { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    expect(hosts.sort()).toEqual(['10.96.0.1', 'api.cluster.local']);
    const fence = new DestinationFence({
      apiServerHosts: hosts,
      resolve: resolveTo({ 'api.cluster.local': ['10.0.0.7'], 'app.internal': ['10.0.0.7'] }),
    });
    expect((await refused(fence.check(new URL('https://10.96.0.1/'), false))).message).toContain(
      "the API server's address",
    );
    expect((await refused(fence.check(new URL('https://app.internal/'), false))).message).toContain(
      "the API server's address",
    );
    expect(await fence.check(new URL('https://10.0.0.8/'), false)).toEqual(['10.0.0.8']);
  });

  it('lets through what settings allow, by address or CIDR, and returns the addresses to connect to', async () => {
    const fence = new DestinationFence({ allowed: ['127.0.0.0/8', '::1'], resolve: resolveTo({ localhost: ['::1'] }) });
    expect(await fence.check(new URL('http://127.0.0.1:8080/v2'), true)).toEqual(['127.0.0.1']);
    expect(await fence.check(new URL('http://localhost:8080/v2'), true)).toEqual(['::1']);
    expect((await refused(fence.check(new URL('http://169.254.169.254/'), true))).code).toBe('DestinationRefused');
  });

  it('reports a name that does not resolve as Unreachable, to be retried', async () => {
    const fence = new DestinationFence({ resolve: resolveTo({}) });
    expect((await refused(fence.check(new URL('https://gone.example.com/'), false))).code).toBe('Unreachable');
  });

  it('refuses a malformed allowlist entry at start-up', () => {
    expect(() => new DestinationFence({ allowed: ['not-an-address'] })).toThrow('downstream.allowedAddresses');
  });
});

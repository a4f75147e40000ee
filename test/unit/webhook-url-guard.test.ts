import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWebhookUrl, createGuardedHttpAgent, nonPublicAddress, type ResolveHost } from '../../src/modules/webhooks/url-guard.js';

/** A resolver from a fixed table; unknown names fail like the system resolver does. */
function fakeResolver(table: Record<string, string[]>): ResolveHost {
  return async (hostname) => {
    const addresses = table[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses;
  };
}

const resolve = fakeResolver({
  'public.example': ['93.184.215.14'],
  'public6.example': ['2606:4700::1111'],
  'internal.example': ['10.0.0.5'],
  'metadata.example': ['169.254.169.254'],
  'split.example': ['93.184.215.14', '192.168.1.10'],
  'mapped.example': ['::ffff:127.0.0.1'],
  'compatible.example': ['::7f00:1'],
  'nat64.example': ['64:ff9b::a9fe:a9fe'],
  'nat64-public.example': ['64:ff9b::808:808'],
  'empty.example': [],
});

describe('nonPublicAddress', () => {
  it.each([
    { address: '127.0.0.1', description: 'a loopback address' },
    { address: '10.1.2.3', description: 'a private address' },
    { address: '172.16.0.1', description: 'a private address' },
    { address: '172.31.255.255', description: 'a private address' },
    { address: '192.168.0.1', description: 'a private address' },
    { address: '169.254.169.254', description: 'a link-local address' },
    { address: '100.64.0.1', description: 'a carrier-grade NAT address' },
    { address: '0.0.0.0', description: 'the unspecified address' },
    { address: '224.0.0.1', description: 'a multicast address' },
    { address: '255.255.255.255', description: 'the broadcast address' },
    { address: '240.0.0.1', description: 'a reserved address' },
    { address: '::1', description: 'a loopback address' },
    { address: '::', description: 'the unspecified address' },
    { address: 'fc00::1', description: 'a unique local address' },
    { address: 'fd12:3456::1', description: 'a unique local address' },
    { address: 'fe80::1', description: 'a link-local address' },
    { address: 'ff02::1', description: 'a multicast address' },
  ])('refuses $address as $description', ({ address, description }) => {
    expect(nonPublicAddress(address)).toEqual({ address, description });
  });

  it.each([
    { address: '::ffff:10.0.0.1', unwrapped: '10.0.0.1', description: 'a private address' },
    { address: '::ffff:127.0.0.1', unwrapped: '127.0.0.1', description: 'a loopback address' },
    { address: '::ffff:169.254.169.254', unwrapped: '169.254.169.254', description: 'a link-local address' },
  ])('judges IPv4-mapped $address as $unwrapped', ({ address, unwrapped, description }) => {
    expect(nonPublicAddress(address)).toEqual({ address: unwrapped, description });
  });

  // ipaddr.js calls IPv4-compatible ::/96 unicast, and its parser reads `::a.b.c.d` as IPv4-mapped
  // although the URL parser writes it `::7f00:1`: both spellings must be judged by the IPv4 inside.
  it.each([
    { address: '::7f00:1', unwrapped: '127.0.0.1', description: 'a loopback address' },
    { address: '::127.0.0.1', unwrapped: '127.0.0.1', description: 'a loopback address' },
    { address: '::a9fe:a9fe', unwrapped: '169.254.169.254', description: 'a link-local address' },
    { address: '::a00:1', unwrapped: '10.0.0.1', description: 'a private address' },
    { address: '::c0a8:1', unwrapped: '192.168.0.1', description: 'a private address' },
    { address: '::ffff:0:7f00:1', unwrapped: '127.0.0.1', description: 'a loopback address' },
    { address: '::ffff:0:a00:1', unwrapped: '10.0.0.1', description: 'a private address' },
    { address: '64:ff9b::7f00:1', unwrapped: '127.0.0.1', description: 'a loopback address' },
    { address: '64:ff9b::a9fe:a9fe', unwrapped: '169.254.169.254', description: 'a link-local address' },
    { address: '64:ff9b::6440:1', unwrapped: '100.64.0.1', description: 'a carrier-grade NAT address' },
  ])('judges $address, which embeds an IPv4 address, as $unwrapped', ({ address, unwrapped, description }) => {
    expect(nonPublicAddress(address)).toEqual({ address: unwrapped, description });
  });

  it.each([
    { address: '::808:808', description: 'an IPv4-compatible address (deprecated)' },
    { address: '::ffff:0:808:808', description: 'an IPv4-translated address' },
  ])('refuses $address, a deprecated or translated form, even around a public IPv4 address', ({ address, description }) => {
    expect(nonPublicAddress(address)).toEqual({ address, description });
  });

  it.each(['64:ff9b::a00:1', '64:ff9b:1::808:808', '2002:a00:1::1', '2001:db8::1'])('refuses %s, which is not plain unicast', (address) => {
    expect(nonPublicAddress(address)).not.toBeNull();
  });

  // A NAT64 gateway turns 64:ff9b::808:808 into 8.8.8.8: public.
  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])(
    'accepts the public address %s',
    (address) => {
      expect(nonPublicAddress(address)).toBeNull();
    },
  );
});

describe('checkWebhookUrl', () => {
  it.each([
    { url: 'http://127.0.0.1/hook', reason: '127.0.0.1 is a loopback address' },
    { url: 'http://10.0.0.1/hook', reason: '10.0.0.1 is a private address' },
    { url: 'http://172.16.5.4/hook', reason: '172.16.5.4 is a private address' },
    { url: 'https://192.168.1.1/hook', reason: '192.168.1.1 is a private address' },
    { url: 'http://169.254.169.254/latest/meta-data', reason: '169.254.169.254 is a link-local address' },
    { url: 'http://100.64.0.1/', reason: '100.64.0.1 is a carrier-grade NAT address' },
    { url: 'http://0.0.0.0:8080/', reason: '0.0.0.0 is the unspecified address' },
    { url: 'http://[::1]/hook', reason: '::1 is a loopback address' },
    { url: 'http://[fc00::1]/hook', reason: 'fc00::1 is a unique local address' },
    { url: 'http://[fe80::1]/hook', reason: 'fe80::1 is a link-local address' },
    { url: 'http://[::ffff:10.0.0.1]/hook', reason: '::ffff:a00:1 maps to 10.0.0.1, a private address' },
    { url: 'http://[::127.0.0.1]/', reason: '::7f00:1 maps to 127.0.0.1, a loopback address' },
    { url: 'http://[::169.254.169.254]/latest/meta-data', reason: '::a9fe:a9fe maps to 169.254.169.254, a link-local address' },
    { url: 'http://[::10.0.0.1]/', reason: '::a00:1 maps to 10.0.0.1, a private address' },
    { url: 'http://[::ffff:0:127.0.0.1]/', reason: '::ffff:0:7f00:1 maps to 127.0.0.1, a loopback address' },
    { url: 'http://[64:ff9b::10.0.0.1]/', reason: '64:ff9b::a00:1 maps to 10.0.0.1, a private address' },
    { url: 'http://[::8.8.8.8]/', reason: '::808:808 is an IPv4-compatible address (deprecated)' },
    { url: 'https://compatible.example/', reason: 'compatible.example resolves to 127.0.0.1, a loopback address' },
    { url: 'https://nat64.example/', reason: 'nat64.example resolves to 169.254.169.254, a link-local address' },
    // The WHATWG URL parser turns these spellings into 127.0.0.1 before anything else sees them.
    { url: 'http://2130706433/', reason: '127.0.0.1 is a loopback address' },
    { url: 'http://0x7f.1/', reason: '127.0.0.1 is a loopback address' },
    { url: 'https://internal.example/hook', reason: 'internal.example resolves to 10.0.0.5, a private address' },
    { url: 'https://metadata.example/', reason: 'metadata.example resolves to 169.254.169.254, a link-local address' },
    { url: 'https://split.example/', reason: 'split.example resolves to 192.168.1.10, a private address' },
    { url: 'https://mapped.example/', reason: 'mapped.example resolves to 127.0.0.1, a loopback address' },
    { url: 'ftp://public.example/hook', reason: 'uses ftp:, only http: and https: are allowed' },
    { url: 'file:///etc/passwd', reason: 'uses file:, only http: and https: are allowed' },
    { url: 'http://user:pw@public.example/hook', reason: 'must not contain a user name or password' },
    { url: 'http://user@public.example/hook', reason: 'must not contain a user name or password' },
    { url: 'not a url', reason: 'is not a valid URL' },
    { url: 'https://nowhere.example/', reason: 'cannot resolve nowhere.example (ENOTFOUND)' },
    { url: 'https://empty.example/', reason: 'empty.example resolves to no address' },
  ])('refuses $url: $reason', async ({ url, reason }) => {
    expect(await checkWebhookUrl(url, { allowPrivateNetworks: false, resolve })).toEqual({ ok: false, reason });
  });

  it.each([
    { url: 'http://8.8.8.8/hook', addresses: ['8.8.8.8'] },
    { url: 'https://[2606:4700::1111]/hook', addresses: ['2606:4700::1111'] },
    { url: 'https://public.example/hook?x=1', addresses: ['93.184.215.14'] },
    { url: 'https://public6.example:8443/hook', addresses: ['2606:4700::1111'] },
    { url: 'http://[64:ff9b::8.8.8.8]/hook', addresses: ['64:ff9b::808:808'] },
    { url: 'https://nat64-public.example/', addresses: ['64:ff9b::808:808'] },
  ])('accepts $url', async ({ url, addresses }) => {
    expect(await checkWebhookUrl(url, { allowPrivateNetworks: false, resolve })).toEqual({ ok: true, addresses });
  });

  it('does not resolve IP literals', async () => {
    const failIfCalled: ResolveHost = () => Promise.reject(new Error('resolver called'));
    expect(await checkWebhookUrl('http://8.8.8.8/', { allowPrivateNetworks: false, resolve: failIfCalled })).toEqual({
      ok: true,
      addresses: ['8.8.8.8'],
    });
  });

  it.each([
    { url: 'http://127.0.0.1:3000/hook', addresses: ['127.0.0.1'] },
    { url: 'http://[::1]/hook', addresses: ['::1'] },
    { url: 'https://internal.example/hook', addresses: ['10.0.0.5'] },
    { url: 'https://split.example/', addresses: ['93.184.215.14', '192.168.1.10'] },
  ])('lets $url through when private networks are allowed', async ({ url, addresses }) => {
    expect(await checkWebhookUrl(url, { allowPrivateNetworks: true, resolve })).toEqual({ ok: true, addresses });
  });

  it.each([
    { url: 'ftp://127.0.0.1/', reason: 'uses ftp:, only http: and https: are allowed' },
    { url: 'http://a:b@127.0.0.1/', reason: 'must not contain a user name or password' },
    { url: 'https://nowhere.example/', reason: 'cannot resolve nowhere.example (ENOTFOUND)' },
  ])('still refuses $url when private networks are allowed', async ({ url, reason }) => {
    expect(await checkWebhookUrl(url, { allowPrivateNetworks: true, resolve })).toEqual({ ok: false, reason });
  });

  it('resolves with the system resolver by default', async () => {
    expect(await checkWebhookUrl('http://localhost:1/', { allowPrivateNetworks: false })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/),
    });
  });
});

describe('createGuardedHttpAgent', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  /** The status code, or the error the request failed with. */
  async function post(url: string, options: Parameters<typeof createGuardedHttpAgent>[0]) {
    const dispatcher = createGuardedHttpAgent(options);
    try {
      const response = await request(url, { method: 'POST', body: '{}', dispatcher });
      await response.body.dump();
      return { status: response.statusCode };
    } catch (error) {
      return { error };
    } finally {
      await dispatcher.close();
    }
  }

  // Both routes matter: net.connect skips the lookup function for IP literals.
  it.each([
    { name: 'an IP literal', host: '127.0.0.1', reason: '127.0.0.1 is a loopback address' },
    { name: 'a name resolving to it', host: 'receiver.test', reason: 'receiver.test resolves to 127.0.0.1, a loopback address' },
    { name: 'an IPv4-compatible literal', host: '[::127.0.0.1]', reason: '::7f00:1 maps to 127.0.0.1, a loopback address' },
    { name: 'an IPv4-translated literal', host: '[::ffff:0:127.0.0.1]', reason: '::ffff:0:7f00:1 maps to 127.0.0.1, a loopback address' },
    { name: 'a NAT64 literal', host: '[64:ff9b::127.0.0.1]', reason: '64:ff9b::7f00:1 maps to 127.0.0.1, a loopback address' },
    {
      name: 'a name resolving to an IPv4-compatible address',
      host: 'compatible.test',
      reason: 'compatible.test resolves to 127.0.0.1, a loopback address',
    },
    { name: 'a name resolving to a NAT64 address', host: 'nat64.test', reason: 'nat64.test resolves to 127.0.0.1, a loopback address' },
  ])('refuses to connect to a local server through $name', async ({ host, reason }) => {
    const result = await post(`http://${host}:${port}/hook`, {
      allowPrivateNetworks: false,
      timeoutMs: 2000,
      resolve: fakeResolver({ 'receiver.test': ['127.0.0.1'], 'compatible.test': ['::7f00:1'], 'nat64.test': ['64:ff9b::7f00:1'] }),
    });
    expect(result.error).toMatchObject({
      name: 'WebhookAddressRefusedError',
      code: 'WEBHOOK_ADDRESS_REFUSED',
      message: `refusing to connect: ${reason}`,
    });
  });

  it('refuses a name that passed the URL check but resolves to a private address when connecting (DNS rebinding)', async () => {
    let answers = 0;
    const rebinding: ResolveHost = async () => (answers++ === 0 ? ['93.184.215.14'] : ['127.0.0.1']);
    const url = `http://rebind.test:${port}/hook`;
    expect(await checkWebhookUrl(url, { allowPrivateNetworks: false, resolve: rebinding })).toMatchObject({ ok: true });
    const result = await post(url, { allowPrivateNetworks: false, timeoutMs: 2000, resolve: rebinding });
    expect(result.error).toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it('refuses to connect with the system resolver too (localhost)', async () => {
    const result = await post(`http://localhost:${port}/hook`, { allowPrivateNetworks: false, timeoutMs: 2000 });
    expect(result.error).toMatchObject({ code: 'WEBHOOK_ADDRESS_REFUSED' });
  });

  it.each([
    { name: 'an IP literal', host: '127.0.0.1' },
    { name: 'a name resolving to it', host: 'receiver.test' },
  ])('connects to a local server through $name when private networks are allowed', async ({ host }) => {
    const result = await post(`http://${host}:${port}/hook`, {
      allowPrivateNetworks: true,
      timeoutMs: 2000,
      resolve: fakeResolver({ 'receiver.test': ['127.0.0.1'] }),
    });
    expect(result).toEqual({ status: 204 });
  });
});

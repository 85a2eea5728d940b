import 'reflect-metadata';
import { HttpEdgeEnv, trustedProxyProblem } from './http-edge.env';
import { ConfigError, loadConfig } from './load-config';

describe('HttpEdgeEnv: what every HTTP app takes for its own protection', () => {
  it('trusts no proxy by default, bounds requests and idle connections, and limits requests', () => {
    expect(loadConfig('test', HttpEdgeEnv, {})).toMatchObject({
      HTTP_TRUST_PROXY: [],
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_CONNECTION_TIMEOUT_MS: 120_000,
      RATE_LIMIT_ENABLED: true,
      RATE_LIMIT_WINDOW_MS: 10_000,
      RATE_LIMIT_PER_ADDRESS: 30_000,
    });
  });

  it('takes proxies as addresses, CIDR ranges and the named ranges, and turns the limits off with false', () => {
    expect(
      loadConfig('test', HttpEdgeEnv, { HTTP_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,::1,fd00::/8,loopback', RATE_LIMIT_ENABLED: 'false' }),
    ).toMatchObject({
      HTTP_TRUST_PROXY: ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8', 'loopback'],
      RATE_LIMIT_ENABLED: false,
    });
  });

  it.each([
    ['10.0.0.0/33', '"10.0.0.0/33": the prefix length is out of range'],
    ['::1/129', '"::1/129": the prefix length is out of range'],
    ['lb.internal', '"lb.internal" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'],
    ['10.0.0.0/', '"10.0.0.0/" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'],
    ['true', '"true" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal'],
  ])('refuses the proxy %s', (entry, problem) => {
    expect(trustedProxyProblem(entry)).toBe(problem);
    expect(() => loadConfig('test', HttpEdgeEnv, { HTTP_TRUST_PROXY: entry })).toThrow(problem);
  });

  it('refuses timeouts and limits out of range, every problem at once', () => {
    const err = (() => {
      try {
        loadConfig('test', HttpEdgeEnv, { HTTP_REQUEST_TIMEOUT_MS: '0', RATE_LIMIT_PER_ADDRESS: '0', RATE_LIMIT_WINDOW_MS: 'soon' });
        return undefined;
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.problems.map((p) => p.split(':')[0])).toEqual([
      'HTTP_REQUEST_TIMEOUT_MS',
      'RATE_LIMIT_WINDOW_MS',
      'RATE_LIMIT_PER_ADDRESS',
    ]);
  });
});

import { qualifiedServiceHost, serviceHost } from '../../../constructs';

describe('qualifiedServiceHost', () => {
  test('every way of writing a Service of the cluster gives its one full host', () => {
    for (const host of ['httpbin', 'httpbin.demo', 'httpbin.demo.svc', 'httpbin.demo.svc.cluster.local'])
      expect(qualifiedServiceHost(host, 'demo')).toBe('httpbin.demo.svc.cluster.local');
    expect(serviceHost('httpbin', 'demo')).toBe('httpbin.demo.svc.cluster.local');
  });

  test('a short name is a Service of the namespace it is written in', () => {
    expect(qualifiedServiceHost('reviews', 'bookinfo')).toBe('reviews.bookinfo.svc.cluster.local');
  });

  test('wildcards, external hosts and two-label hosts of no namespace stay as written', () => {
    expect(qualifiedServiceHost('*', 'demo')).toBe('*');
    expect(qualifiedServiceHost('*.example.com', 'demo')).toBe('*.example.com');
    expect(qualifiedServiceHost('api.example.com', 'demo')).toBe('api.example.com');
    expect(qualifiedServiceHost('httpbin.org', 'demo', new Set(['demo']))).toBe('httpbin.org');
    expect(qualifiedServiceHost('httpbin.demo', 'other', new Set(['demo']))).toBe('httpbin.demo.svc.cluster.local');
  });
});

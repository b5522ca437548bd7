import { EnvironmentConfig, parseEnvironment } from '../../stacks/environments';

/** No demo apps, so that the environment holds the shop and the platform only. */
export const NO_DEMOS = {
  'mesh:demo': { apps: [] },
  'mesh:canary': { httpbinCanary: { enabled: false }, weightedSplit: { enabled: false } },
};

/** The shop: web calls catalog and cart, cart calls catalog; a canary on web; web exposed (HTTPS: dev's gateway has TLS on *.localhost). */
export const SHOP = {
  shop: {
    web: {
      image: 'ghcr.io/acme/web:1.4.2',
      ports: [{ port: 8080 }],
      calls: ['catalog', 'cart'],
      expose: { hosts: ['shop.localhost'] },
      release: { strategy: 'canary' },
    },
    catalog: { image: 'ghcr.io/acme/catalog:2.0.1', ports: [{ port: 8080, protocol: 'grpc' }] },
    cart: {
      image: 'ghcr.io/acme/cart:0.9.0',
      ports: [{ port: 80, targetPort: 8080 }],
      calls: ['catalog'],
      resilience: { timeout: '3s', retries: { attempts: 3, perTryTimeout: '1s' } },
    },
  },
};

/** The dev environment without demos, with `apps` as its mesh:apps (the shop unless given). */
export function shopEnvironment(apps: unknown = SHOP, extra: Record<string, unknown> = {}): EnvironmentConfig {
  return parseEnvironment('dev', { ...NO_DEMOS, 'mesh:apps': apps, ...extra }, 'Pulumi.dev.yaml');
}

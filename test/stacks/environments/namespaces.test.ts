import * as path from 'node:path';
import { buildPlatform } from '../../../stacks/composition/platform';
import { defineApps } from '../../../stacks/composition/code-apps';
import { loadEnvironmentFile, parseEnvironment } from '../../../stacks/environments';
import { isReservedAppNamespace, PLATFORM_NAMESPACES, RESERVED_APP_NAMESPACES } from '../../../stacks/environments/namespaces';
import { configProblems } from '../../support/config-problems';
import { REPO_ROOT } from '../../support/shared-dir';

/** One list of reserved namespaces, and every place an app or a namespace key is declared checks against it. */
describe('reserved namespaces (one module: stacks/environments/namespaces.ts)', () => {
  const app = { image: 'nginx:1.27', ports: [{ port: 8080 }] };

  test.each(RESERVED_APP_NAMESPACES)('mesh:apps refuses %s', (namespace) => {
    expect(configProblems(() => parseEnvironment('dev', { 'mesh:apps': { [namespace]: { web: app } } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(new RegExp(`^Pulumi.dev.yaml: mesh:apps.${namespace}: namespace "${namespace}" is reserved`)),
    ]);
  });

  test.each(RESERVED_APP_NAMESPACES)('apps in code refuse %s', (namespace) => {
    const prod = loadEnvironmentFile(path.join(REPO_ROOT, 'Pulumi.prod.yaml'));
    expect(() => buildPlatform(prod, { apps: defineApps((ctx) => ctx.layerChart('shop', { namespace })) })).toThrow(
      new RegExp(`apps/index.ts: chart 'shop' namespace '${namespace}' belongs to the platform`),
    );
  });

  test.each(PLATFORM_NAMESPACES)('a namespace key (mesh:demo.namespace) refuses %s', (namespace) => {
    expect(configProblems(() => parseEnvironment('dev', { 'mesh:demo': { namespace } }, 'Pulumi.dev.yaml'))).toEqual([
      expect.stringMatching(new RegExp(`^Pulumi.dev.yaml: mesh:demo.namespace: "${namespace}" is a namespace the platform owns`)),
    ]);
  });

  test('any kube- name is Kubernetes’; a namespace of the team’s own is not reserved', () => {
    expect(isReservedAppNamespace('kube-anything')).toBe(true);
    expect(isReservedAppNamespace('shop')).toBe(false);
  });
});

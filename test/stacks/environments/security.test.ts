import { configProblems } from '../../support/config-problems';
import { PRODUCTION_REQUIRED } from '../../support/production';
import { ConfigError, parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';

describe('mesh:security', () => {
  test('every tier defaults to default deny with Sidecars and NetworkPolicies; the gateway is istio-ingressgateway', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      expect(parseEnvironment(env, env === 'prod' ? { ...PRODUCTION_REQUIRED } : {}, `Pulumi.${env}.yaml`).security).toMatchObject({
        defaultDeny: true,
        sidecarScoping: true,
        networkPolicies: true,
        ingressGateway: { namespace: 'istio-system', serviceAccount: 'istio-ingressgateway' },
      });
    }
  });

  test('dev may turn default deny off; the zero-trust chart then leaves uncalled apps open', () => {
    const config = parseEnvironment('dev', { 'mesh:security': { defaultDeny: false } }, 'Pulumi.dev.yaml');
    const objects = renderCharts(buildPlatform(config)).find((c) => c.id === 'zero-trust')!.objects;
    expect(objects.filter((o) => o.metadata.name === 'default-deny')).toEqual([]);
    expect(objects.find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'sleep')).toMatchObject({ spec: { rules: [{}] } });
  });

  test("every Sidecar and NetworkPolicy lets the proxies reach the mesh's tracing collector (the observability stack's Jaeger)", () => {
    const objects = renderCharts(buildPlatform(parseEnvironment('dev', {}, 'Pulumi.dev.yaml'))).find((c) => c.id === 'zero-trust')!.objects;
    const sidecars = objects.filter((o) => o.kind === 'Sidecar');
    // The apps' own policies (the namespaces' default-deny-ingress restricts ingress only).
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy' && (o.spec as any).policyTypes.includes('Egress'));
    expect(policies.length).toBeGreaterThan(0);
    expect(sidecars.length).toBeGreaterThan(0);
    for (const s of sidecars) expect((s.spec as any).egress[0].hosts).toContain('observability/jaeger.observability.svc.cluster.local');
    for (const p of policies) {
      expect((p.spec as any).egress).toContainEqual({
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
        ports: [{ protocol: 'TCP', port: 4317 }],
      });
    }
  });

  test('fails when a key is unknown or a value is not allowed', () => {
    expect(() => parseEnvironment('dev', { 'mesh:security': { defaultdeny: false } }, 'Pulumi.dev.yaml')).toThrow(ConfigError);
    expect(() => parseEnvironment('dev', { 'mesh:security': { exposedApps: ['Web App'] } }, 'Pulumi.dev.yaml')).toThrow(
      /mesh:security.exposedApps.0/,
    );
  });

  test('fails when production turns default deny off or mTLS is not STRICT: in the config, and in the chart', () => {
    expect(
      configProblems(() =>
        parseEnvironment('prod', { ...PRODUCTION_REQUIRED, 'mesh:security': { defaultDeny: false } }, 'Pulumi.prod.yaml'),
      ),
    ).toEqual([
      expect.stringMatching(
        /^Pulumi.prod.yaml: mesh:security.defaultDeny: false is not allowed in production.*set mesh:security.defaultDeny: true$/,
      ),
    ]);
    expect(
      configProblems(() => parseEnvironment('prod', { ...PRODUCTION_REQUIRED, 'mesh:istio': { mtls: 'PERMISSIVE' } }, 'Pulumi.prod.yaml')),
    ).toEqual([
      expect.stringMatching(/^Pulumi.prod.yaml: mesh:istio.mtls: "PERMISSIVE" is not allowed in production.*set mesh:istio.mtls: STRICT$/),
    ]);
    // The chart keeps its own check for settings that do not come through the config files.
    const prod = parseEnvironment('prod', { ...PRODUCTION_REQUIRED }, 'Pulumi.prod.yaml');
    const noDeny = { ...prod, security: { ...prod.security, defaultDeny: false } };
    expect(() => buildPlatform(noDeny)).toThrow(
      /^ZeroTrustChart zero-trust: production requires default deny, but mesh:security.defaultDeny is false/,
    );
    const permissive = { ...prod, istio: { ...prod.istio, mtls: 'PERMISSIVE' as const } };
    expect(() => buildPlatform(permissive)).toThrow(/production requires STRICT mTLS, but mesh:istio.mtls is PERMISSIVE/);
  });
});

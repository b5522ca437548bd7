import { Chart, Testing } from 'cdk8s';
import { GatewayDirection, GatewayServiceType, IstioBase, IstioGateway, Istiod } from '../../../constructs';

describe('GatewayServiceType', () => {
  test('ALL lists the three Service types by their Kubernetes names', () => {
    expect(GatewayServiceType.ALL).toEqual([GatewayServiceType.LOAD_BALANCER, GatewayServiceType.NODE_PORT, GatewayServiceType.CLUSTER_IP]);
    expect(GatewayServiceType.ALL.map((t) => t.name)).toEqual(['LoadBalancer', 'NodePort', 'ClusterIP']);
    expect(`${GatewayServiceType.NODE_PORT}`).toBe('NodePort');
  });

  test.each<[GatewayDirection, GatewayServiceType | undefined, string]>([
    [GatewayDirection.INGRESS, GatewayServiceType.NODE_PORT, 'NodePort'],
    [GatewayDirection.INGRESS, GatewayServiceType.CLUSTER_IP, 'ClusterIP'],
    [GatewayDirection.EGRESS, GatewayServiceType.LOAD_BALANCER, 'LoadBalancer'],
    [GatewayDirection.INGRESS, undefined, 'LoadBalancer'],
    [GatewayDirection.EGRESS, undefined, 'ClusterIP'],
  ])('an %s gateway with serviceType %s renders the chart value service.type %s', (direction, serviceType, rendered) => {
    const c = new Chart(Testing.app(), 'test');
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    const gateway = new IstioGateway(c, 'gateway', { istiod, direction, serviceType });
    expect(gateway.typedValues.service).toEqual({ type: rendered });
    const release = Testing.synth(c).find((o) => o.kind === 'HelmRelease' && o.metadata.name === `istio-${direction}gateway`);
    expect(release.spec.values.service).toEqual({ type: rendered });
  });
});

describe('GatewayDirection', () => {
  test('ALL lists ingress and egress', () => {
    expect(GatewayDirection.ALL).toEqual([GatewayDirection.INGRESS, GatewayDirection.EGRESS]);
    expect(GatewayDirection.ALL.map((d) => d.name)).toEqual(['ingress', 'egress']);
    expect(`${GatewayDirection.EGRESS}`).toBe('egress');
  });

  test.each(GatewayDirection.ALL.map((d) => [d.name, d] as const))(
    'an %s gateway: release, labels, selector and host named by the direction',
    (name, direction) => {
      const c = new Chart(Testing.app(), 'test');
      const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
      const gateway = new IstioGateway(c, 'gateway', { istiod, direction });
      expect(gateway.direction).toBe(direction);
      expect(gateway.releaseName).toBe(`istio-${name}gateway`);
      expect(gateway.selector).toEqual({ istio: `${name}gateway` });
      expect(gateway.serviceHost).toBe(`istio-${name}gateway.istio-system.svc.cluster.local`);
      expect(gateway.typedValues.labels).toEqual({ istio: `${name}gateway`, app: `istio-${name}gateway` });
    },
  );

  test("fails when a JavaScript caller passes the direction's name instead of the class", () => {
    const c = new Chart(Testing.app(), 'test');
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    expect(() => new IstioGateway(c, 'gateway', { istiod, direction: 'ingress' as unknown as GatewayDirection })).toThrow(
      "IstioGateway test/gateway: direction 'ingress' is not allowed; use GatewayDirection.INGRESS or GatewayDirection.EGRESS",
    );
  });
});

import { Chart, Testing } from 'cdk8s';
import { GatewayDirection, GatewayServiceType, IstioBase, IstioGateway, Istiod } from '../../../constructs';

describe('GatewayServiceType', () => {
  test('ALL lists the three Service types by their Kubernetes names', () => {
    expect(GatewayServiceType.ALL).toEqual([GatewayServiceType.LOAD_BALANCER, GatewayServiceType.NODE_PORT, GatewayServiceType.CLUSTER_IP]);
    expect(GatewayServiceType.ALL.map((t) => t.name)).toEqual(['LoadBalancer', 'NodePort', 'ClusterIP']);
    expect(`${GatewayServiceType.NODE_PORT}`).toBe('NodePort');
  });

  test.each<[GatewayDirection, GatewayServiceType | undefined, string]>([
    ['ingress', GatewayServiceType.NODE_PORT, 'NodePort'],
    ['ingress', GatewayServiceType.CLUSTER_IP, 'ClusterIP'],
    ['egress', GatewayServiceType.LOAD_BALANCER, 'LoadBalancer'],
    ['ingress', undefined, 'LoadBalancer'],
    ['egress', undefined, 'ClusterIP'],
  ])('an %s gateway with serviceType %s renders the chart value service.type %s', (direction, serviceType, rendered) => {
    const c = new Chart(Testing.app(), 'test');
    const istiod = new Istiod(c, 'istiod', { base: new IstioBase(c, 'base') });
    const gateway = new IstioGateway(c, 'gateway', { istiod, direction, serviceType });
    expect(gateway.typedValues.service).toEqual({ type: rendered });
    const release = Testing.synth(c).find((o) => o.kind === 'HelmRelease' && o.metadata.name === `istio-${direction}gateway`);
    expect(release.spec.values.service).toEqual({ type: rendered });
  });
});

import { MtlsMode } from '../../../constructs';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { mtlsModeOf } from '../../../stacks/composition/variants';
import { renderCharts } from '../../../stacks/engines/render';

describe('config variant names onto the library classes', () => {
  test('mesh:istio.mtls: every name the schema admits maps onto its MtlsMode', () => {
    expect(mtlsModeOf('STRICT')).toBe(MtlsMode.STRICT);
    expect(mtlsModeOf('PERMISSIVE')).toBe(MtlsMode.PERMISSIVE);
    expect(() => mtlsModeOf('OFF')).toThrow("mesh:istio.mtls: 'OFF' is not allowed; use one of STRICT, PERMISSIVE, DISABLE");
  });

  test.each(['STRICT', 'PERMISSIVE'])('mesh:istio.mtls: %s reaches the mesh-wide PeerAuthentication and the load tester access', (mtls) => {
    const app = buildPlatform(parseEnvironment('dev', { 'mesh:istio': { mtls } }, 'Pulumi.dev.yaml'));
    const peers = renderCharts(app)
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'PeerAuthentication');
    expect(peers.find((o) => o.metadata.name === 'default')?.spec).toEqual({ mtls: { mode: mtls } });
    // Under STRICT only, Flagger (outside the mesh) needs a plain-text port on its load tester.
    expect(peers.some((o) => o.metadata.name === 'flagger-loadtester')).toBe(mtls === 'STRICT');
  });
});

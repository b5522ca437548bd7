import * as path from 'node:path';
import { buildPlatform } from '../../../../stacks/composition/platform';
import { loadEnvironmentFile } from '../../../../stacks/environments';
import { declarePlatform } from '../../../../stacks/engines/pulumi/program';
import { renderCharts } from '../../../../stacks/engines/render';
import { declareUnderMocks, kindAndName as key, layerOf } from '../../../support/pulumi-mocks';
import { REPO_ROOT } from '../../../support/shared-dir';

const DEMO_NAMESPACES = ['demo', 'canary', 'bookinfo'];
const inDemoNamespaces = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }) =>
  DEMO_NAMESPACES.includes(o.metadata?.namespace ?? '') || (o.kind === 'Namespace' && DEMO_NAMESPACES.includes(o.metadata?.name ?? ''));

describe('the Pulumi program on the demo apps (built as ordinary apps)', () => {
  test.each(['dev', 'prod'])('%s: declares exactly the demo objects the synth renders, in layer apps (prod: none)', async (env) => {
    const config = { ...loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`)), delivery: 'push' as const };
    const declared = (await declareUnderMocks(() => declarePlatform(config))).filter(
      (d) => d.type.startsWith('kubernetes:') && inDemoNamespaces(d.inputs),
    );
    const synthesized = renderCharts(buildPlatform(config))
      .flatMap((c) => c.objects)
      .filter(inDemoNamespaces);
    expect(declared.map((d) => key(d.inputs)).sort()).toEqual(synthesized.map(key).sort());
    if (env === 'prod') {
      expect(declared).toEqual([]);
      return;
    }
    // S3's canary on httpbin, S7's split, S6's bookinfo with its reviews canary (dev's routing).
    expect(
      declared
        .filter((d) => d.inputs.kind === 'Canary')
        .map((d) => key(d.inputs))
        .sort(),
    ).toEqual(['Canary bookinfo/reviews', 'Canary demo/httpbin']);
    expect(declared.map((d) => key(d.inputs))).toEqual(
      expect.arrayContaining(['VirtualService canary/httpbin', 'Deployment demo/sleep', 'VirtualService bookinfo/productpage-gateway']),
    );
    for (const d of declared) expect(layerOf(d)?.name).toBe('apps');
  });
});

import { normalizeCpu, normalizeMemory, parseQuantity, milliValue } from '../../../constructs/core/quantity';
import { configProblems } from '../../support/config-problems';
import { parseEnvironment } from '../../../stacks/environments';
import { buildPlatform } from '../../../stacks/composition/platform';
import { renderCharts } from '../../../stacks/engines/render';

describe('Kubernetes quantities (issue 14 item 4)', () => {
  test.each([
    ['250m', 250n],
    ['0.5', 500n],
    ['2', 2000n],
    ['1.5k', 1500000n],
    ['2e3', 2000000n],
    ['1Ki', 1024000n],
    ['.5', 500n],
  ])('%s is %s thousandths', (text, milli) => {
    const q = parseQuantity(text);
    expect(typeof q).toBe('object');
    expect(milliValue(q as Exclude<typeof q, string>).milli).toBe(milli);
  });

  test.each(['', 'm', '1.2.3', '1 Gi', '1gi', '1KiB', 'abc', '1e', '\u0661'])('%j is no quantity', (text) => {
    expect(typeof parseQuantity(text)).toBe('string');
  });

  test('CPU: kept as written when the constructs read it; finer than 1m, zero and huge values refused', () => {
    expect(normalizeCpu('250m')).toBe('250m');
    expect(normalizeCpu('0.5')).toBe('0.5');
    expect(normalizeCpu('1.5k')).toBe('1500000m');
    expect(normalizeCpu('0.0001')).toEqual({ error: expect.stringMatching(/finer than 1m/) });
    expect(normalizeCpu('0')).toEqual({ error: expect.stringMatching(/must be positive/) });
    expect(normalizeCpu('1e+23')).toEqual({ error: expect.stringMatching(/beyond/) });
    expect(normalizeCpu('100000000000000000000')).toEqual({ error: expect.stringMatching(/beyond/) });
  });

  test('memory: 1536Ki is valid; decimal spellings become binary units; fractions of a byte and huge values refused', () => {
    expect(normalizeMemory('1536Ki')).toBe('1536Ki');
    expect(normalizeMemory('1.5Gi')).toBe('1536Mi');
    expect(normalizeMemory('1024000')).toBe('1000Ki');
    expect(normalizeMemory('0.5')).toEqual({ error: expect.stringMatching(/no whole number of bytes/) });
    expect(normalizeMemory('1G')).toEqual({ error: expect.stringMatching(/no whole number of Ki/) });
    expect(normalizeMemory('99999999999Ei')).toEqual({ error: expect.stringMatching(/beyond what Kubernetes stores/) });
  });

  test('in the config: the key is named; 1536Ki renders as an exact quantity instead of an internal error', () => {
    const problems = configProblems(() =>
      parseEnvironment(
        'dev',
        { 'mesh:workloads': { resources: { requests: { cpu: '0.0001' }, limits: { cpu: 1e23 } } } },
        'Pulumi.dev.yaml',
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:workloads.resources.requests.cpu: CPU "0.0001" is finer than 1m/),
      expect.stringMatching(/^Pulumi.dev.yaml: mesh:workloads.resources.limits.cpu: CPU "1e\+23" is \d+m, beyond any node's CPU/),
    ]);
    const env = parseEnvironment('dev', { 'mesh:workloads': { resources: { requests: { memory: '1536Ki' } } } }, 'Pulumi.dev.yaml');
    const objects = renderCharts(buildPlatform(env)).flatMap((c) => c.objects) as any[];
    const memories = objects
      .filter((o) => o.kind === 'Deployment' && o.metadata.namespace === 'demo')
      .map((o) => o.spec.template.spec.containers[0].resources.requests.memory);
    expect(memories.length).toBeGreaterThan(0);
    expect(new Set(memories)).toEqual(new Set(['1.5Mi']));
  });
});

import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import {
  DurationSyntax,
  ISTIO_SYSTEM_NAMESPACE,
  jaegerTracingProvider,
  MeshTracingBackend,
  TracingProtocol,
  TracingProvider,
} from '../../../constructs';
import { resilienceSchema } from '../../../stacks/environments/resilience';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Every TypeScript source of the library and the stacks (not the generated imports, not the tests). */
function sources(): string[] {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  return [...['constructs', 'charts', 'stacks', 'apps'].flatMap(walk), 'index.ts'];
}

/** The nodes for which `pick` returns a string, as `file:line: text`, in the sources whose text matches `filter`. */
function find(filter: RegExp, pick: (node: ts.Node) => string | undefined): string[] {
  const found: string[] = [];
  for (const file of sources()) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    if (!filter.test(text)) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const picked = pick(node);
      if (picked !== undefined) found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${picked}`);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

describe('one vocabulary (issue 11.2)', () => {
  test("'istio-system' is written once, in constructs/core/namespaces.ts (messages and docs aside)", () => {
    const literals = find(/'istio-system'/, (n) => (ts.isStringLiteral(n) && n.text === ISTIO_SYSTEM_NAMESPACE ? n.getText() : undefined));
    // One literal, in that file (whatever its line).
    expect(literals).toEqual([
      expect.stringMatching(new RegExp(`^${path.join('constructs', 'core', 'namespaces\\.ts')}:\\d+: 'istio-system'$`)),
    ]);
  });

  test('Service hosts are qualified by constructs/core/hosts.ts, not by templates of their own', () => {
    const qualified = (n: ts.Node) =>
      ts.isTemplateExpression(n) &&
      !/\s/.test(n.getText()) &&
      n.templateSpans[n.templateSpans.length - 1].literal.text.endsWith('.svc.cluster.local')
        ? n.getText()
        : undefined;
    // (`${name}.${namespace}.svc.${CLUSTER_DOMAIN}` in hosts.ts ends with the domain constant.)
    expect(find(/svc\.cluster\.local`/, qualified)).toEqual([]);
  });

  test('durations are matched by constructs/core/duration.ts, not by regular expressions of their own', () => {
    const units = /\((?:ms\|s\|m\|h|h\|m\|s\|ms|ms\|h\|m\|s)\)/;
    expect(find(units, (n) => (ts.isRegularExpressionLiteral(n) && units.test(n.text) ? n.text : undefined))).toEqual([]);
  });

  test('one-unit durations (mesh:resilience, mesh:apps): a positive whole amount of h, m, s or ms', () => {
    for (const ok of ['500ms', '2s', '3m', '1h', '10s']) expect(DurationSyntax.SINGLE_UNIT.pattern.test(ok)).toBe(true);
    for (const bad of ['0s', '1m30s', '1.5s', '10d', 'ms', '5', '05s']) expect(DurationSyntax.SINGLE_UNIT.pattern.test(bad)).toBe(false);
    expect(DurationSyntax.SINGLE_UNIT.parse('3m')?.toMilliseconds()).toBe(180_000);
    const parsed = resilienceSchema.safeParse({ timeout: '1m30s', retries: { attempts: 1, perTryTimeout: '1s' }, allowFaults: false });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('must be a duration of at least 1ms in one unit');
  });

  test('the tracing backend of the observability stack is the one TracingProvider type', () => {
    const zipkin: TracingProvider = {
      name: 'zipkin',
      protocol: TracingProtocol.ZIPKIN,
      service: 'zipkin.tracing.svc.cluster.local',
      port: 9411,
    };
    // A type of its own would refuse a Zipkin provider here (it allowed OTLP only).
    const backend: MeshTracingBackend = zipkin;
    const jaeger: TracingProvider = jaegerTracingProvider('observability');
    expect([backend.protocol, jaeger.protocol]).toEqual([TracingProtocol.ZIPKIN, TracingProtocol.OPENTELEMETRY]);
  });
});

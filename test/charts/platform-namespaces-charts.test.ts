import * as path from 'node:path';
import { KubeObject, renderCharts } from '../../stacks/engines/render';
import { buildPlatform } from '../../stacks/composition/platform';
import { loadEnvironmentFile } from '../../stacks/environments';
import { selectorMatches } from '../../stacks/inspection/access/network-policy';
import { minihelmBinary, renderWithMinihelm } from '../support/istio-chart-model';
import { Level, podSecurityViolations } from '../support/pod-security';
import { REPO_ROOT } from '../support/shared-dir';

/** The ports the injected Istio agent and proxy serve in a pod (status, merged metrics, Envoy's metrics): no chart declares them. */
const PROXY_PORTS = [15020, 15021, 15090];

/** The pods cert-manager creates at run time, which no chart renders. */
const RUNTIME_PODS = [{ 'acme.cert-manager.io/http01-solver': 'true' }];

const minihelm = minihelmBinary();
(minihelm ? describe : describe.skip)('the platform namespaces against what the pinned charts render (minihelm)', () => {
  test.each(['dev', 'staging', 'prod'])(
    '%s: every release pod meets its namespace Pod Security level; every allow rule selects rendered pods on ports they listen on',
    (env) => {
      const objects = renderCharts(buildPlatform(loadEnvironmentFile(path.join(REPO_ROOT, `Pulumi.${env}.yaml`)))).flatMap(
        (c) => c.objects,
      ) as any[];
      const level = (ns: string) =>
        objects.find((o) => o.kind === 'Namespace' && o.metadata.name === ns)?.metadata.labels?.[
          'pod-security.kubernetes.io/enforce'
        ] as Level;
      const injected = (ns: string) =>
        objects.some((o) => o.kind === 'Namespace' && o.metadata.name === ns && o.metadata.labels?.['istio-injection'] === 'enabled');
      const pods: { namespace: string; labels: Record<string, string>; ports: number[] }[] = [];
      const services: { namespace: string; selector: Record<string, string>; targetPorts: number[] }[] = [];
      const violations: string[] = [];
      for (const release of objects.filter((o) => o.kind === 'HelmRelease')) {
        const { chart, version } = release.spec.chart.spec;
        const namespace = release.spec.targetNamespace;
        const rendered = renderWithMinihelm(
          minihelm!,
          chart,
          version,
          release.spec.releaseName,
          namespace,
          release.spec.values ?? {},
        ) as KubeObject[];
        for (const o of rendered as any[]) {
          if (o.kind === 'Service' && o.spec.selector)
            services.push({
              namespace,
              selector: o.spec.selector,
              targetPorts: o.spec.ports.map((p: any) => (typeof p.targetPort === 'number' ? p.targetPort : p.port)),
            });
          const template =
            o.kind === 'Pod' ? o : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? o.spec.template : undefined;
          if (!template) continue;
          const labels = template.metadata?.labels ?? {};
          const proxy =
            labels['sidecar.istio.io/inject'] === 'true' || (injected(namespace) && labels['sidecar.istio.io/inject'] !== 'false');
          pods.push({
            namespace,
            labels,
            ports: [
              ...(template.spec.containers ?? []).flatMap((c: any) => (c.ports ?? []).map((p: any) => p.containerPort)),
              ...(proxy ? PROXY_PORTS : []),
            ],
          });
          for (const v of podSecurityViolations(template, level(namespace) ?? 'restricted'))
            violations.push(`${namespace}/${o.kind}/${o.metadata.name} (${level(namespace)}): ${v}`);
        }
      }
      expect(violations).toEqual([]);
      // The allow rules of the platform's own charts (the apps' policies select the apps' Deployments).
      const rules = objects.filter(
        (o) => o.kind === 'NetworkPolicy' && o.metadata.name.startsWith('allow-') && pods.some((p) => p.namespace === o.metadata.namespace),
      );
      expect(rules.length).toBeGreaterThan(5);
      const unmatched: string[] = [];
      for (const rule of rules) {
        const selector = rule.spec.podSelector;
        if (RUNTIME_PODS.some((labels) => JSON.stringify(selector.matchLabels) === JSON.stringify(labels))) continue;
        const selected = pods.filter((p) => p.namespace === rule.metadata.namespace && selectorMatches(selector, p.labels));
        const ports: number[] = rule.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port));
        if (selected.length === 0) unmatched.push(`${rule.metadata.namespace}/${rule.metadata.name}: selects no rendered pod`);
        for (const port of ports)
          if (
            !selected.some(
              (p) =>
                p.ports.includes(port) ||
                // A gateway's proxy listens where its Service sends traffic (the Gateway servers' ports), undeclared.
                services.some(
                  (s) =>
                    s.namespace === p.namespace && selectorMatches({ matchLabels: s.selector }, p.labels) && s.targetPorts.includes(port),
                ),
            )
          )
            unmatched.push(`${rule.metadata.namespace}/${rule.metadata.name}: no selected pod declares port ${port}`);
      }
      expect(unmatched).toEqual([]);
    },
  );
});

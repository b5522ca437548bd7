#!/usr/bin/env node
// Regenerates the typed L1 bindings in imports/ from the pinned upstream CRDs in ../shared/crds.
//
//   npm run import
//
// Only the API versions the project emits are kept (DESIGN.md: current APIs only), which keeps the
// generated code small and makes an accidental use of a removed version a compile error.
// Every CRD is round-tripped through a YAML parser first: cdk8s import's own reader trips on
// Flagger's CRD (cdk8s-team/cdk8s-cli#1419). Flagger's CRD also continues two single-quoted
// descriptions at the indentation of their key, which a strict parser reads as a stray key holding
// the rest of the sentence; those artifacts (keys with spaces: no schema key has one) are dropped.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const YAML = require('yaml');

const root = path.resolve(__dirname, '..');
const crdDir = process.env.CRD_DIR || path.resolve(root, '..', 'shared', 'crds');

/** CRD file -> group -> the one version to bind, and the kinds to keep. */
const selection = [
  {
    files: ['istio.yaml'],
    group: 'networking.istio.io',
    version: 'v1',
    kinds: ['DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'VirtualService'],
  },
  {
    files: ['istio.yaml'],
    group: 'security.istio.io',
    version: 'v1',
    kinds: ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication'],
  },
  { files: ['istio.yaml'], group: 'telemetry.istio.io', version: 'v1', kinds: ['Telemetry'] },
  { files: ['flagger.yaml'], group: 'flagger.app', version: 'v1beta1', kinds: ['Canary', 'MetricTemplate', 'AlertProvider'] },
  {
    files: ['flux-source-gitrepositories.yaml', 'flux-source-helmrepositories.yaml'],
    group: 'source.toolkit.fluxcd.io',
    version: 'v1',
    kinds: ['GitRepository', 'HelmRepository'],
  },
  { files: ['flux-kustomizations.yaml'], group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kinds: ['Kustomization'] },
  { files: ['flux-helmreleases.yaml'], group: 'helm.toolkit.fluxcd.io', version: 'v2', kinds: ['HelmRelease'] },
  {
    files: ['flux-notification-providers.yaml', 'flux-notification-alerts.yaml'],
    group: 'notification.toolkit.fluxcd.io',
    version: 'v1beta3',
    kinds: ['Provider', 'Alert'],
  },
  {
    files: ['cert-manager-certificates.yaml', 'cert-manager-clusterissuers.yaml', 'cert-manager-issuers.yaml'],
    group: 'cert-manager.io',
    version: 'v1',
    kinds: ['Certificate', 'ClusterIssuer', 'Issuer'],
  },
  {
    files: ['prometheus-operator-prometheusrules.yaml', 'prometheus-operator-servicemonitors.yaml', 'prometheus-operator-podmonitors.yaml'],
    group: 'monitoring.coreos.com',
    version: 'v1',
    kinds: ['PrometheusRule', 'ServiceMonitor', 'PodMonitor'],
  },
];

function dropProseKeys(node) {
  if (Array.isArray(node)) return node.map(dropProseKeys);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !/\s/.test(k))
      .map(([k, v]) => [k, dropProseKeys(v)]),
  );
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-import-'));
const outdir = path.join(root, 'imports');
try {
  for (const { files, group, version, kinds } of selection) {
    const docs = [];
    for (const file of files) {
      for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(crdDir, file), 'utf8'))) {
        const crd = dropProseKeys(doc.toJS());
        if (!crd || crd.kind !== 'CustomResourceDefinition' || crd.spec.group !== group) continue;
        if (!kinds.includes(crd.spec.names.kind)) continue;
        const versions = crd.spec.versions.filter((v) => v.name === version);
        if (versions.length !== 1) throw new Error(`${file}: ${crd.spec.names.kind} has no version ${version}`);
        docs.push({ ...crd, spec: { ...crd.spec, versions: versions.map((v) => ({ ...v, storage: true })) } });
      }
    }
    const found = docs.map((d) => d.spec.names.kind).sort();
    if (found.join() !== [...kinds].sort().join()) throw new Error(`${group}: expected ${kinds.join(', ')}, found ${found.join(', ')}`);
    const input = path.join(work, `${group}.yaml`);
    fs.writeFileSync(input, docs.map((d) => YAML.stringify(d, { lineWidth: 0 })).join('---\n'));
    execFileSync(path.join(root, 'node_modules', '.bin', 'cdk8s'), ['import', input, '--output', outdir, '--language', 'typescript'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as YAML from 'yaml';
import { stringifyYaml } from '../../../stacks/engines/yaml';
import { REPO_ROOT } from '../../support/shared-dir';

function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []));
}

/**
 * The documents of a file, read as cdk8s's `Yaml.load` reads them (YAML 1.1, empty documents left out), without the
 * node process it starts per file to read a URL or a path (a second each here, most of this suite's time).
 */
function loadDocuments(file: string): unknown[] {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'), { version: '1.1' })
    .map((d) => d.toJSON())
    .filter((o) => o !== undefined && o !== null && (typeof o !== 'object' || Object.keys(o).length > 0));
}

/** Strings a YAML 1.1 reader (kubectl, kustomize) takes for booleans, nulls or numbers. */
const YAML_1_1_SPECIALS = [
  'yes',
  'Yes',
  'YES',
  'no',
  'No',
  'on',
  'On',
  'off',
  'OFF',
  'y',
  'Y',
  'n',
  'N',
  'true',
  'False',
  '~',
  'null',
  'Null',
];
const NUMBER_LIKE = ['0755', '1e3', '1_000', '12:30', '2001-12-14', '.inf', '.NaN', '0x1F', '+1', '-0'];

describe('stringifyYaml', () => {
  test("writes every object of dist/ byte for byte as cdk8s's Yaml.stringify", () => {
    const files = yamlFiles(path.join(REPO_ROOT, 'dist'));
    expect(files.length).toBeGreaterThan(10);
    let documents = 0;
    for (const file of files) {
      const docs = loadDocuments(file);
      documents += docs.length;
      for (const doc of docs) expect(stringifyYaml(doc)).toBe(Yaml.stringify(doc));
      expect(stringifyYaml(...docs)).toBe(Yaml.stringify(...docs));
    }
    expect(documents).toBeGreaterThan(100);
  });

  test('keeps YAML 1.1 booleans, nulls and number-like strings quoted strings, in values, lists and keys', () => {
    const specials = [...YAML_1_1_SPECIALS, ...NUMBER_LIKE];
    const doc = {
      metadata: { labels: Object.fromEntries(specials.map((s, i) => [`k${i}`, s])) },
      list: specials,
      keys: Object.fromEntries(specials.map((s) => [s, 1])),
    };
    const text = stringifyYaml(doc);
    expect(text).toBe(Yaml.stringify(doc));
    // Read back as YAML 1.1 (what kubectl and kustomize do), every one is still the same string.
    expect(YAML.parse(text, { version: '1.1' })).toEqual(doc);
    for (const s of YAML_1_1_SPECIALS) expect(text).toContain(`- "${s}"\n`);
  });

  test('layout: nested lists, empty collections, multi-line strings, numbers, null and -0 as cdk8s writes them', () => {
    const doc = {
      nested: [[1, [2]], [], {}, [{ a: [] }], { b: { c: [{ d: null }] } }],
      script: 'line one\nline two\n',
      numbers: [1.5, -0, 0, 1e21, -3],
      quotes: [' lead', 'trail ', "it's", '"q"', 'a: b', '- x', '#c', ''],
      'weird key: x': true,
    };
    expect(stringifyYaml(doc)).toBe(Yaml.stringify(doc));
    expect(stringifyYaml(doc, undefined, {}, [])).toBe(Yaml.stringify(doc, undefined, {}, []));
  });
});

test('identifier-like strings (names, hosts, label values) are plain, as the yaml package writes them', () => {
  const names = [
    'svc-00001',
    'reviews.bookinfo.svc.cluster.local',
    'app.kubernetes.io/name',
    'istio-system',
    'Truely',
    'nullable',
    'offset',
    'registry.example.com/team-1/svc-1:1.0.0',
    'docker.io/istio/proxyv2:1.30.3',
    'http://svc-1-canary.team-0:8080/healthz',
    'urn:a:b',
  ];
  for (const name of names) {
    expect(stringifyYaml({ k: name })).toBe(`k: ${name}\n`);
    expect(stringifyYaml({ k: name })).toBe(Yaml.stringify({ k: name }));
  }
  // A colon at the end, or before a space, and a leading digit (a YAML 1.1 sexagesimal like 12:30) are quoted as the package does.
  for (const value of ['abcdef:', 'image: x', 'abc:def: x', '12:30:45', '1:20', 'a:', 'k8s.io/x:']) {
    expect(stringifyYaml({ k: value })).toBe(Yaml.stringify({ k: value }));
    expect(stringifyYaml({ k: value })).not.toBe(`k: ${value}\n`);
  }
});

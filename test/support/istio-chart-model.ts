import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { chartDir } from './shared-dir';

/**
 * What Istio's charts do with our values, read from the upstream charts in `<shared>/helm/charts`:
 * Helm's coalescing, the profile/platform overlay of `templates/zzz_profile.yaml`, and (istiod) the mesh
 * config the `istio` ConfigMap carries. A small model of those templates, not a template engine: every
 * function first checks that the template still has the lines it models and throws when it does not,
 * so a chart upgrade that changes them fails the tests instead of silently passing them.
 *
 * The real engine is `minihelm` (`../shared/helm/minihelm`); {@link renderWithMinihelm} uses it when
 * `$MINIHELM` names a built binary (`.ci/run` builds it).
 */

type Values = Record<string, unknown>;

function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Go templates' truthiness (`and`, `not`, `if`): nil, false, 0, "" and empty collections are false. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return Boolean(v);
}

/**
 * Sprig's `mergeOverwrite` (mergo with override) on values maps: maps merge deeply, any other source value
 * replaces, except nil (values are `interface{}`, whose only empty value to mergo is nil; false and "" override).
 */
function mergeOverwrite(dst: Values, ...sources: unknown[]): Values {
  for (const src of sources) {
    if (!isMap(src)) continue;
    for (const [k, s] of Object.entries(src)) {
      const d = dst[k];
      if (isMap(d) && isMap(s)) mergeOverwrite(d, s);
      else if (d === undefined || (s !== null && s !== undefined)) dst[k] = clone(s);
    }
  }
  return dst;
}

/** Helm's coalescing of user values over a chart's values.yaml: user values win, maps merge, null deletes. */
function coalesce(user: Values, defaults: Values): Values {
  const out: Values = clone(defaults);
  for (const [k, u] of Object.entries(user)) {
    if (u === null) delete out[k];
    else if (isMap(u) && isMap(out[k])) out[k] = coalesce(u, out[k] as Values);
    else out[k] = clone(u);
  }
  return out;
}

function lookup(values: Values, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), values);
}

function readTemplate(dir: string, file: string, mustContain: readonly string[]): string {
  const text = fs.readFileSync(path.join(dir, 'templates', file), 'utf8');
  for (const line of mustContain) {
    if (!text.includes(line))
      throw new Error(
        `${path.join(dir, 'templates', file)} no longer contains '${line}': the chart changed, update test/support/istio-chart-model.ts`,
      );
  }
  return text;
}

/**
 * The values an Istio chart's templates see after `zzz_profile.yaml` (and, for istiod, `zzy_descope_legacy.yaml`):
 * chart defaults, then the `profile` overlay, then the `platform` overlay, then our values. Throws the chart's own
 * `unknown profile` / `unknown platform` failure when the named overlay file does not exist.
 */
export function istioChartValues(chart: 'base' | 'cni' | 'istiod' | 'gateway', version: string, user: Values): Values {
  const dir = chartDir(chart, version);
  readTemplate(dir, 'zzz_profile.yaml', [
    '$defaults := $.Values._internal_defaults_do_not_set',
    'coalesce ($.Values).profile ($.Values.global).profile',
    'printf "files/profile-%s.yaml"',
    'fail (cat "unknown profile"',
    'coalesce ($.Values).platform ($.Values.global).platform',
    'printf "files/profile-platform-%s.yaml"',
    'fail (cat "unknown platform"',
    'mustMergeOverwrite $defaults $profile',
    'mustMergeOverwrite $defaults $.Values',
  ]);
  const values = coalesce(user, YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8')) as Values);
  const defaults = (values._internal_defaults_do_not_set ?? {}) as Values;
  delete values._internal_defaults_do_not_set;
  const overlay = (file: string, what: string, name: unknown): Values => {
    const p = path.join(dir, 'files', file);
    if (!fs.existsSync(p)) throw new Error(`${chart} chart: unknown ${what} ${String(name)} (no files/${file})`);
    return YAML.parse(fs.readFileSync(p, 'utf8')) as Values;
  };
  const profile: Values = {};
  const profileName = values.profile ?? lookup(values, 'global.profile');
  if (truthy(profileName)) mergeOverwrite(profile, overlay(`profile-${String(profileName)}.yaml`, 'profile', profileName));
  const platformName = values.platform ?? lookup(values, 'global.platform');
  if (truthy(platformName)) mergeOverwrite(profile, overlay(`profile-platform-${String(platformName)}.yaml`, 'platform', platformName));
  if (truthy(profile)) mergeOverwrite(defaults, profile);
  const effective = mergeOverwrite(defaults, values);
  if (chart === 'istiod') {
    readTemplate(dir, 'zzy_descope_legacy.yaml', ['mustMergeOverwrite $.Values (index $.Values "pilot")']);
    mergeOverwrite(effective, effective.pilot);
  }
  return effective;
}

/** Evaluates one of istiod's `{{ define "NAME" }}{{- and <conditions> }}{{- end }}` helpers against the values. */
function istiodHelper(dir: string, name: string, values: Values): boolean {
  const text = fs.readFileSync(path.join(dir, 'templates', '_helpers.tpl'), 'utf8');
  const m = new RegExp(`\\{\\{ define "${name}" \\}\\}\\s*\\{\\{- and\\s+([^}]*?)\\s*\\}\\}\\s*\\{\\{- end \\}\\}`).exec(text);
  if (!m)
    throw new Error(
      `${dir}/templates/_helpers.tpl: helper "${name}" is no longer '{{- and ... }}': the chart changed, update test/support/istio-chart-model.ts`,
    );
  const args = m[1].replace(/\s+/g, ' ').trim();
  const terms = [...args.matchAll(/\(not \.Values\.([\w.]+)\)|\.Values\.([\w.]+)/g)];
  if (terms.map((t) => t[0]).join(' ') !== args)
    throw new Error(
      `${dir}/templates/_helpers.tpl: helper "${name}" has conditions the model does not know ('${args}'); update test/support/istio-chart-model.ts`,
    );
  return terms.every((t) => (t[1] !== undefined ? !truthy(lookup(values, t[1])) : truthy(lookup(values, t[2]))));
}

/** The mesh config istiod reads (the `mesh` key of the `istio` ConfigMap), for the fields this model covers. */
export interface RenderedMeshConfig extends Values {
  readonly defaultProviders?: { readonly metrics?: string[] | null; readonly tracing?: string[]; readonly accessLogging?: string[] };
  readonly rootNamespace?: string;
}

/**
 * What the istiod chart renders as mesh config from our values: its own mesh (`trustDomain`, `rootNamespace`,
 * and `defaultProviders` when its helpers say so) with `.Values.meshConfig` merged over it, as
 * `templates/configmap.yaml` does. `defaultConfig` (proxy defaults) is left out of the model.
 */
export function istiodMeshConfig(version: string, user: Values): RenderedMeshConfig {
  const dir = chartDir('istiod', version);
  readTemplate(dir, 'configmap.yaml', [
    '{{ $prom := include "default-prometheus" . | eq "true" }}',
    '{{ $sdMetrics := include "default-sd-metrics" . | eq "true" }}',
    '{{ $sdLogs := include "default-sd-logs" . | eq "true" }}',
    '{{- if or $prom $sdMetrics $sdLogs }}',
    '{{ if $prom }}- prometheus{{ end }}',
    '{{ if and $sdMetrics $sdLogs }}- stackdriver{{ end }}',
    'rootNamespace: {{ .Values.meshConfig.rootNamespace | default .Values.global.istioNamespace }}',
    '{{- $mesh := mergeOverwrite $originalMesh .Values.meshConfig }}',
  ]);
  const values = istioChartValues('istiod', version, user);
  const prom = istiodHelper(dir, 'default-prometheus', values);
  const sdMetrics = istiodHelper(dir, 'default-sd-metrics', values);
  const sdLogs = istiodHelper(dir, 'default-sd-logs', values);
  const original: Values = {
    trustDomain: 'cluster.local',
    rootNamespace: lookup(values, 'meshConfig.rootNamespace') || lookup(values, 'global.istioNamespace'),
  };
  if (prom || sdMetrics || sdLogs) {
    const providers: Values = {};
    if (prom || sdMetrics) {
      const metrics = [...(prom ? ['prometheus'] : []), ...(sdMetrics && sdLogs ? ['stackdriver'] : [])];
      providers.metrics = metrics.length > 0 ? metrics : null;
    }
    if (sdMetrics && sdLogs) providers.accessLogging = ['stackdriver'];
    original.defaultProviders = providers;
  }
  return mergeOverwrite(original, values.meshConfig) as RenderedMeshConfig;
}

/** The minihelm binary named by `$MINIHELM`, if built (`.ci/run` builds it before the tests). */
export function minihelmBinary(): string | undefined {
  const bin = process.env.MINIHELM;
  return bin && fs.existsSync(bin) ? bin : undefined;
}

/** Renders a chart from the shared folder with minihelm (a `helm template` stand-in) and returns its objects. */
export function renderWithMinihelm(
  bin: string,
  chart: string,
  version: string,
  release: string,
  namespace: string,
  values: Values,
): Values[] {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'minihelm-'));
  try {
    const file = path.join(tmp, 'values.json');
    fs.writeFileSync(file, JSON.stringify(values));
    const out = execFileSync(bin, ['-chart', chartDir(chart, version), '-name', release, '-namespace', namespace, '-values', file], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return out
      .split(/(?:^|\s*\n)---\s*/)
      .filter((t) => t.trim())
      .map((t) => YAML.parse(t) as Values)
      .filter((o) => isMap(o) && o.kind);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

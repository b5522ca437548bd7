import { IConstruct } from 'constructs';
import { KubeObject } from '../../constructs/core/kube-object';
import { LayeredChart } from './layering';

/** How bad a finding is: an `error` fails the synth, a `warning` is printed. */
export type Severity = 'error' | 'warning';

/** One problem an analyzer found on one object. */
export interface Finding {
  /** The analyzer's stable code: Istio's `IST0xxx` where `istioctl analyze` has the rule, else `MESH0xxx`. */
  readonly code: string;
  /** The analyzer's name, e.g. `ReferencedResourceNotFound`. */
  readonly name: string;
  readonly severity: Severity;
  /** The object, `<Kind> <namespace>/<name>` (or a construct path when no object is at fault). */
  readonly object: string;
  /** What is wrong, naming the field and the value. */
  readonly message: string;
  /** How to fix it. */
  readonly fix: string;
}

/** What an analyzer reads: the rendered objects, and, when analyzing an environment, its charts and construct tree. */
export interface AnalysisInput {
  /** Every rendered object of the environment. */
  readonly objects: readonly KubeObject[];
  /**
   * The objects per chart, with the chart's Flux layer.
   * @default - unknown (a folder was analyzed): analyzers that need layers are skipped
   */
  readonly charts?: readonly LayeredChart[];
  /**
   * The construct tree the objects were rendered from.
   * @default - none (a folder was analyzed): analyzers that need components are skipped
   */
  readonly app?: IConstruct;
  /**
   * API groups the cluster serves before any layer (renderCharts' clusterApiGroups).
   * @default []
   */
  readonly clusterApiGroups?: readonly string[];
}

/** What an analyzer reports before the registry adds its code, name and severity. */
export interface RawFinding {
  /** The object at fault: its annotations can opt it out of the code. */
  readonly target?: KubeObject;
  /** Where, when no object is at fault (a construct path). */
  readonly where?: string;
  readonly message: string;
  readonly fix: string;
}

/** One rule of the mesh, checked on the whole rendered output. */
export interface Analyzer {
  /** Stable code (`IST0xxx` or `MESH0xxx`); never reused for another rule. */
  readonly code: string;
  /** Stable name, e.g. `ConflictingMeshGatewayVirtualServiceHosts`. */
  readonly name: string;
  readonly severity: Severity;
  /** One line: what the rule checks and why. */
  readonly description: string;
  /** Needs the construct tree and charts ({@link AnalysisInput.app}); skipped on a folder. */
  readonly needsApp?: boolean;
  analyze(input: AnalysisInput): RawFinding[];
}

/**
 * The annotation that opts one object out of analyzer codes, each with its reason:
 * `mesh.platform/analyze-ignore: "IST0101=the host is created by the operator; MESH0006=..."`.
 */
export const IGNORE_ANNOTATION = 'mesh.platform/analyze-ignore';

/** `<Kind> <namespace>/<name>` of an object. */
export function objectName(o: KubeObject): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/**
 * The codes an object opts out of, from its {@link IGNORE_ANNOTATION}: entries `CODE=reason`
 * separated by `;` or new lines. An entry without a reason or with a malformed code is returned in `invalid`.
 */
export function ignoredCodes(o: KubeObject): { codes: Map<string, string>; invalid: string[] } {
  const annotations = (o.metadata.annotations ?? {}) as Record<string, string>;
  const value = annotations[IGNORE_ANNOTATION];
  const codes = new Map<string, string>();
  const invalid: string[] = [];
  if (typeof value !== 'string') return { codes, invalid };
  for (const entry of value
    .split(/[;\n]/)
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^((?:IST|MESH)\d{4})\s*=\s*(\S.*)$/.exec(entry);
    if (m) codes.set(m[1], m[2].trim());
    else invalid.push(entry);
  }
  return { codes, invalid };
}

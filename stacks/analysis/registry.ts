import { MeshValidationError } from '../../constructs/core/errors';
import { Analyzer, AnalysisInput, Finding, IGNORE_ANNOTATION, ignoredCodes, objectName } from './analyzer';
import { EXISTING_ANALYZERS } from './analyzers/existing';
import { GATEWAY_ANALYZERS } from './analyzers/gateway';
import { MTLS_ANALYZERS } from './analyzers/mtls';
import { ROUTING_ANALYZERS } from './analyzers/routing';
import { SCHEMA_ANALYZERS } from './analyzers/schema';
import { SECURITY_ANALYZERS } from './analyzers/security';
import { withRunCache } from './run-cache';

/** Every analyzer of the platform, one per rule; codes are unique and stable. */
export const ANALYZERS: readonly Analyzer[] = [
  ...EXISTING_ANALYZERS,
  ...SCHEMA_ANALYZERS,
  ...ROUTING_ANALYZERS,
  ...GATEWAY_ANALYZERS,
  ...SECURITY_ANALYZERS,
  ...MTLS_ANALYZERS,
];

/** The code of the finding reported for a malformed {@link IGNORE_ANNOTATION}. */
export const INVALID_IGNORE_CODE = 'MESH0100';

/** What {@link analyze} found. */
export interface AnalysisResult {
  /** Findings, errors first, then by code and object. */
  readonly findings: readonly Finding[];
  /** Findings an object opted out of, with the reason it gave. */
  readonly ignored: readonly (Finding & { readonly reason: string })[];
  /** Analyzers that did not run (they need the construct tree, and a folder was analyzed). */
  readonly skipped: readonly string[];
}

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /**
   * Only these codes.
   * @default - every analyzer of {@link ANALYZERS}
   */
  readonly codes?: readonly string[];
  /**
   * The analyzers to run.
   * @default ANALYZERS
   */
  readonly analyzers?: readonly Analyzer[];
}

/**
 * Runs every analyzer on the input. An object whose {@link IGNORE_ANNOTATION} names a code with a
 * reason is left out of that code's findings (they are listed under `ignored`).
 */
export function analyze(input: AnalysisInput, options: AnalyzeOptions = {}): AnalysisResult {
  // What several analyzers derive from the input (the mesh model, the workload and layering rules) is computed once.
  return withRunCache(() => runAnalyzers(input, options));
}

function runAnalyzers(input: AnalysisInput, options: AnalyzeOptions): AnalysisResult {
  const findings: Finding[] = [];
  const ignored: (Finding & { reason: string })[] = [];
  const skipped: string[] = [];
  const analyzers = (options.analyzers ?? ANALYZERS).filter((a) => !options.codes || options.codes.includes(a.code));
  for (const analyzer of analyzers) {
    if (analyzer.needsApp && (!input.app || !input.charts)) {
      skipped.push(`${analyzer.code} ${analyzer.name}`);
      continue;
    }
    for (const raw of analyzer.analyze(input)) {
      const finding: Finding = {
        code: analyzer.code,
        name: analyzer.name,
        severity: analyzer.severity,
        object: raw.target ? objectName(raw.target) : (raw.where ?? ''),
        message: raw.message,
        fix: raw.fix,
      };
      const reason = raw.target ? ignoredCodes(raw.target).codes.get(analyzer.code) : undefined;
      if (reason !== undefined) ignored.push({ ...finding, reason });
      else findings.push(finding);
    }
  }
  if (!options.codes || options.codes.includes(INVALID_IGNORE_CODE)) {
    for (const o of input.objects) {
      for (const entry of ignoredCodes(o).invalid) {
        findings.push({
          code: INVALID_IGNORE_CODE,
          name: 'InvalidAnalyzeIgnore',
          severity: 'error',
          object: objectName(o),
          message: `annotation ${IGNORE_ANNOTATION} has the entry '${entry}', which is not CODE=reason`,
          fix: `write each entry as CODE=reason (e.g. IST0101=created by the operator), entries separated by ';'`,
        });
      }
    }
  }
  const rank = (f: Finding) => (f.severity === 'error' ? 0 : 1);
  findings.sort((a, b) => rank(a) - rank(b) || a.code.localeCompare(b.code) || a.object.localeCompare(b.object));
  return { findings, ignored, skipped };
}

/**
 * One finding as a line: `error [IST0101] VirtualService demo/x: message; fix: ...` (messages name their
 * object; a fix the message already states is not repeated).
 */
export function formatFinding(f: Finding): string {
  return `${f.severity} [${f.code}] ${f.message}${f.fix && !f.message.includes(f.fix) ? `; fix: ${f.fix}` : ''}`;
}

/**
 * The analyzers found errors: one line per finding, `[CODE] message`. A {@link MeshValidationError}
 * (its name too, so that callers handling validation errors handle it); the CLI exits 1 on it.
 */
export class AnalysisError extends MeshValidationError {
  constructor(readonly findings: readonly Finding[]) {
    super(findings.map((f) => `[${f.code}] ${f.message}`).join('\n'));
  }
}

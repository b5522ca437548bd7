import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { MetricTemplate as MetricTemplateResource, MetricTemplateSpecProviderType } from '../../imports/flagger.app';
import type { IMetricTemplate } from './canary-analysis';
import { DNS_LABEL, invalid, notDnsLabel } from '../core/errors';

/** Properties of a {@link MetricTemplate}. */
export interface MetricTemplateProps {
  /**
   * The Prometheus query. It may use `{{ namespace }}`, `{{ target }}`, `{{ name }}`, `{{ service }}`,
   * `{{ interval }}` and `{{ variables.<name> }}`.
   */
  readonly query: string;
  /** URL of the Prometheus server the query runs on, e.g. `http://prometheus.istio-system:9090`. */
  readonly prometheusUrl: string;
  /**
   * The template's name, referenced by canaries.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
}

/** The placeholders Flagger substitutes in a template query. */
const KNOWN_PLACEHOLDERS = ['name', 'namespace', 'target', 'service', 'ingress', 'interval'];

/**
 * A Flagger `MetricTemplate`: a Prometheus query that canaries check with {@link CanaryMetric.fromTemplate}.
 * Placeholders are checked when the template is declared, so a typo fails here and not in the middle of a rollout.
 * It is a Flagger custom resource: declare it in a chart of a later layer than the Flagger release that
 * installs its CRD (the platform's own is in layer platform-configs); `renderCharts` checks this.
 */
export class MetricTemplate extends Construct implements IMetricTemplate {
  /**
   * The P99 request duration in milliseconds of the canary's workload, measured on the server side
   * (`reporter="destination"`), over the analysis interval.
   */
  static istioP99Latency(scope: Construct, id: string, props: Omit<MetricTemplateProps, 'query'>): MetricTemplate {
    return new MetricTemplate(scope, id, {
      ...props,
      query: [
        'histogram_quantile(0.99,',
        '  sum(',
        '    rate(',
        '      istio_request_duration_milliseconds_bucket{',
        '        reporter="destination",',
        '        destination_workload_namespace="{{ namespace }}",',
        '        destination_workload=~"{{ target }}"',
        '      }[{{ interval }}]',
        '    )',
        '  ) by (le)',
        ')',
      ].join('\n'),
    });
  }

  readonly templateName: string;
  readonly templateNamespace: string;
  readonly variableNames: readonly string[];
  /** The generated object (escape hatch). */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: MetricTemplateProps) {
    super(scope, id);
    this.templateName = props.name ?? id;
    this.templateNamespace =
      props.namespace ??
      Chart.of(this).namespace ??
      invalid('MetricTemplate', this, "no namespace: set 'namespace' or declare it in a chart that has one");
    if (!DNS_LABEL.test(this.templateName)) invalid('MetricTemplate', this, notDnsLabel('name', this.templateName, 'latency'));
    if (!/^https?:\/\/[^\s]+$/.test(props.prometheusUrl))
      invalid(
        'MetricTemplate',
        this,
        `prometheusUrl '${props.prometheusUrl}' is not an http(s) URL; use e.g. 'http://prometheus.istio-system:9090'`,
      );
    if (!props.query.trim())
      invalid('MetricTemplate', this, 'query is empty; give the Prometheus query, e.g. one on istio_request_duration_milliseconds_bucket');
    const variables = new Set<string>();
    for (const [, placeholder] of props.query.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      const variable = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(placeholder);
      if (variable) variables.add(variable[1]);
      else if (!KNOWN_PLACEHOLDERS.includes(placeholder)) {
        invalid(
          'MetricTemplate',
          this,
          `query placeholder '{{ ${placeholder} }}' is not one Flagger fills; use ${KNOWN_PLACEHOLDERS.map((p) => `{{ ${p} }}`).join(', ')} or {{ variables.<name> }}`,
        );
      }
    }
    this.variableNames = [...variables];
    if (/\[[0-9]+[smhd]\]/.test(props.query) && !props.query.includes('{{ interval }}')) {
      invalid(
        'MetricTemplate',
        this,
        'query has a fixed range selector; use [{{ interval }}] so that it follows the metric interval of each canary',
      );
    }
    this.apiObject = new MetricTemplateResource(this, 'Resource', {
      metadata: { name: this.templateName, namespace: this.templateNamespace },
      spec: { provider: { type: MetricTemplateSpecProviderType.PROMETHEUS, address: props.prometheusUrl }, query: props.query },
    });
  }
}

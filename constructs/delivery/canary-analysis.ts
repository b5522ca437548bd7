import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import {
  CanarySpecAnalysis,
  CanarySpecAnalysisMatch,
  CanarySpecAnalysisMetrics,
  CanarySpecAnalysisSessionAffinity,
  CanarySpecAnalysisWebhooks,
  CanarySpecAnalysisWebhooksType,
} from '../../imports/flagger.app';
import { formatDuration } from '../core/duration';
import { invalid } from '../core/errors';
import type { IMeshApp, ResolvedMeshPort } from '../workloads/mesh-app';
import { StringMatch } from '../traffic/resilient-route';

/**
 * The vocabulary of a Flagger canary analysis: the rollout {@link Strategy}, the {@link CanaryMetric}s
 * checked at every step, the {@link Webhook}s called along the way and the {@link RequestMatch}es of
 * A/B testing. Each renders itself when bound to a {@link CanaryRelease}, so that errors name it.
 */

/**
 * Renders a duration as Flagger's CRD accepts it: the Canary's intervals and webhook timeouts must
 * start with `<digits>m` or `<digits>s`, so hours are written as minutes (`90m`, not `1h30m`, which
 * the API server rejects): `30s`, `1m30s`, `120m`, `500ms`.
 */
export function flaggerDuration(duration: Duration): string {
  return formatDuration(duration, { units: ['m', 's', 'ms'], compound: true });
}

/** What a {@link Strategy}, {@link CanaryMetric} or {@link Webhook} needs to know of the release it belongs to. */
export interface CanaryBinding {
  /** The release (errors name it). */
  readonly scope: IConstruct;
  /** The canaried app. */
  readonly app: IMeshApp;
  /** The Service port under analysis. */
  readonly port: ResolvedMeshPort;
  /** The analysis interval. */
  readonly interval: Duration;
  /** Base URL of the Flagger load tester, with a trailing slash. */
  readonly loadTesterUrl: string;
}

function fail(binding: CanaryBinding, message: string): never {
  return invalid('CanaryRelease', binding.scope, message);
}

function checkPercent(binding: CanaryBinding, what: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min || value > 100) {
    fail(binding, `${what} ${value} is out of range; use a whole percentage from ${min} to 100`);
  }
}

/**
 * The requests an A/B test sends to the canary. Several matches are alternatives (any one routes the
 * request to the canary).
 */
export class RequestMatch {
  /** Requests whose header `name` matches (a plain string matches exactly). */
  static header(name: string, value: StringMatch | string): RequestMatch {
    return new RequestMatch({
      headers: { [name.toLowerCase()]: typeof value === 'string' ? StringMatch.exact(value).toJson() : value.toJson() },
    });
  }

  /** Requests that carry the cookie `name=value` (e.g. `canary=always`). */
  static cookie(name: string, value: string): RequestMatch {
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RequestMatch({ headers: { cookie: { regex: `^(.*?;)?(${escape(name)}=${escape(value)})(;.*)?$` } } });
  }

  /** Requests whose query parameter `name` matches (a plain string matches exactly). */
  static queryParam(name: string, value: StringMatch | string): RequestMatch {
    return new RequestMatch({ queryParams: { [name]: typeof value === 'string' ? StringMatch.exact(value).toJson() : value.toJson() } });
  }

  private constructor(
    /** The Flagger `analysis.match` entry. */
    readonly condition: CanarySpecAnalysisMatch,
  ) {}
}

/** Options of a progressive canary ({@link Strategy.progressive}). Give exactly one of `stepWeight` and `stepWeights`. */
export interface ProgressiveOptions {
  /**
   * Traffic percentage added to the canary at each step (Flagger `stepWeight`).
   * @default - none; give this or `stepWeights`
   */
  readonly stepWeight?: number;
  /**
   * Explicit, increasing traffic percentages of the steps (Flagger `stepWeights`), e.g. `[1, 5, 25, 50]`.
   * @default - none; give this or `stepWeight`
   */
  readonly stepWeights?: number[];
  /**
   * Highest traffic percentage the canary gets before promotion (Flagger `maxWeight`); only with `stepWeight`.
   * @default 50
   */
  readonly maxWeight?: number;
  /**
   * Traffic percentage moved to the promoted primary at each step of the promotion (Flagger
   * `stepWeightPromotion`).
   * @default - all traffic at once
   */
  readonly stepWeightPromotion?: number;
}

/** Session affinity of a progressive canary ({@link Strategy.sessionAffinity}). */
export interface SessionAffinityOptions extends ProgressiveOptions {
  /** The cookie that pins a user to the canary once routed there. */
  readonly cookieName: string;
  /**
   * How long the cookie lives.
   * @default Duration.days(1)
   */
  readonly maxAge?: Duration;
}

/** Options of an A/B test ({@link Strategy.abTesting}). */
export interface AbTestingOptions {
  /** Number of analysis runs (one per interval) before promotion. */
  readonly iterations: number;
  /** The requests routed to the canary during the analysis (alternatives). */
  readonly match: RequestMatch[];
}

/** Options of a blue/green release ({@link Strategy.blueGreen}). */
export interface BlueGreenOptions {
  /** Number of analysis runs (one per interval) before traffic switches to the new version. */
  readonly iterations: number;
}

/** Options of a blue/green release with traffic mirroring ({@link Strategy.blueGreenMirroring}). */
export interface BlueGreenMirroringOptions extends BlueGreenOptions {
  /**
   * Percentage of requests copied to the canary (responses of the copies are discarded).
   * @default 100
   */
  readonly mirrorWeight?: number;
}

/** The kinds of rollout Flagger runs on Istio. */
export type StrategyKind = 'progressive' | 'session-affinity' | 'ab-testing' | 'blue-green' | 'blue-green-mirroring';

/**
 * How a {@link CanaryRelease} moves traffic to a new version. Flagger picks the strategy from which
 * analysis fields are set: `stepWeight`/`stepWeights` (progressive), `iterations` + `match`
 * (A/B testing), `iterations` (blue/green), `iterations` + `mirror` (blue/green mirroring).
 */
export class Strategy {
  /** Progressive traffic shifting: `stepWeight` percent more every interval up to `maxWeight`, or along `stepWeights`. */
  static progressive(options: ProgressiveOptions): Strategy {
    return new Strategy('progressive', options);
  }

  /** Progressive traffic shifting where a user once routed to the canary stays there (a cookie). */
  static sessionAffinity(options: SessionAffinityOptions): Strategy {
    return new Strategy('session-affinity', options);
  }

  /** A/B testing: only the matching requests (header, cookie, query parameter) go to the canary, for `iterations` runs. */
  static abTesting(options: AbTestingOptions): Strategy {
    return new Strategy('ab-testing', options);
  }

  /** Blue/green: the canary is tested for `iterations` runs without live traffic, then traffic switches at once. */
  static blueGreen(options: BlueGreenOptions): Strategy {
    return new Strategy('blue-green', options);
  }

  /** Blue/green where live traffic is copied (mirrored) to the canary during the analysis. */
  static blueGreenMirroring(options: BlueGreenMirroringOptions): Strategy {
    return new Strategy('blue-green-mirroring', options);
  }

  private constructor(
    /** The kind of rollout. */
    readonly kind: StrategyKind,
    private readonly options: ProgressiveOptions &
      Partial<SessionAffinityOptions> &
      Partial<AbTestingOptions> &
      Partial<BlueGreenMirroringOptions>,
  ) {}

  /** True when live traffic is shifted gradually (the analysis has steps). */
  get isProgressive(): boolean {
    return this.kind === 'progressive' || this.kind === 'session-affinity';
  }

  /** Renders the strategy's analysis fields, validating them. @internal */
  _render(binding: CanaryBinding): CanarySpecAnalysis {
    const o = this.options;
    if (this.isProgressive) {
      const given = [
        o.stepWeight !== undefined && 'stepWeight',
        o.stepWeights !== undefined && 'stepWeights',
        o.iterations !== undefined && 'iterations',
      ].filter(Boolean);
      if (given.length !== 1 || o.iterations !== undefined) {
        fail(
          binding,
          `a ${this.kind} canary needs exactly one of stepWeight and stepWeights (Flagger reads iterations as blue/green), got ${given.length === 0 ? 'none' : given.join(' and ')}; set stepWeight (e.g. 20) or stepWeights (e.g. [10, 20, 50])`,
        );
      }
      let maxWeight: number | undefined;
      if (o.stepWeight !== undefined) {
        maxWeight = o.maxWeight ?? 50;
        checkPercent(binding, 'maxWeight', maxWeight);
        checkPercent(binding, 'stepWeight', o.stepWeight);
        if (o.stepWeight > maxWeight)
          fail(binding, `stepWeight ${o.stepWeight} exceeds maxWeight ${maxWeight}; lower stepWeight or raise maxWeight`);
      } else {
        if (o.maxWeight !== undefined)
          fail(binding, `maxWeight ${o.maxWeight} is ignored with stepWeights (the last step is the maximum); remove it`);
        const steps = o.stepWeights!;
        if (steps.length === 0) fail(binding, 'stepWeights is empty; list increasing percentages such as [10, 20, 50]');
        steps.forEach((w) => checkPercent(binding, 'stepWeights entry', w));
        steps.forEach((w, i) => {
          if (i > 0 && w <= steps[i - 1])
            fail(binding, `stepWeights [${steps.join(', ')}] must increase strictly; ${w} follows ${steps[i - 1]}`);
        });
      }
      if (o.stepWeightPromotion !== undefined) checkPercent(binding, 'stepWeightPromotion', o.stepWeightPromotion);
      let sessionAffinity: CanarySpecAnalysisSessionAffinity | undefined;
      if (this.kind === 'session-affinity') {
        if (!o.cookieName || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(o.cookieName)) {
          fail(
            binding,
            `session affinity cookieName '${o.cookieName}' is not a cookie name; use letters, digits and '-', such as 'canary-session'`,
          );
        }
        const maxAge = (o.maxAge ?? Duration.days(1)).toMilliseconds() / 1000;
        if (!Number.isInteger(maxAge) || maxAge < 1)
          fail(binding, `session affinity maxAge ${maxAge}s is not a positive whole number of seconds; use e.g. Duration.hours(6)`);
        sessionAffinity = { cookieName: o.cookieName, maxAge };
      }
      return {
        stepWeight: o.stepWeight,
        stepWeights: o.stepWeights,
        maxWeight,
        stepWeightPromotion: o.stepWeightPromotion,
        sessionAffinity,
      };
    }
    const iterations = o.iterations;
    if (iterations === undefined || !Number.isInteger(iterations) || iterations < 1) {
      fail(binding, `${this.kind} needs iterations, a positive whole number of analysis runs, got ${iterations}`);
    }
    if (this.kind === 'ab-testing') {
      if (!o.match || o.match.length === 0)
        fail(
          binding,
          'A/B testing needs at least one match (RequestMatch.header, .cookie or .queryParam) to pick the requests routed to the canary',
        );
      return { iterations, match: o.match.map((m) => m.condition) };
    }
    if (this.kind === 'blue-green-mirroring') {
      if (o.mirrorWeight !== undefined) checkPercent(binding, 'mirrorWeight', o.mirrorWeight);
      return { iterations, mirror: true, mirrorWeight: o.mirrorWeight };
    }
    return { iterations };
  }
}

/** The thresholds and window of a {@link CanaryMetric} on a custom template. */
export interface TemplateMetricOptions {
  /**
   * The metric's name in the Canary.
   * @default - the template's name
   */
  readonly name?: string;
  /**
   * Lowest accepted value.
   * @default - no lower bound (give `min`, `max` or both)
   */
  readonly min?: number;
  /**
   * Highest accepted value.
   * @default - no upper bound (give `min`, `max` or both)
   */
  readonly max?: number;
  /**
   * The query window (`{{ interval }}` in the template).
   * @default - the analysis interval
   */
  readonly interval?: Duration;
  /**
   * Values of `{{ variables.<name> }}` in the template.
   * @default - none
   */
  readonly variables?: Record<string, string>;
}

/** A Flagger MetricTemplate a {@link CanaryMetric} can query. */
export interface IMetricTemplate {
  /** Its name. */
  readonly templateName: string;
  /** Its namespace. */
  readonly templateNamespace: string;
  /** The names used as `{{ variables.<name> }}` in its query. */
  readonly variableNames: readonly string[];
}

/** A check run at every analysis step; the step fails when the value is out of range. */
export class CanaryMetric {
  /**
   * Flagger's built-in HTTP success rate (percentage of non-5xx responses of the canary).
   * @param options.min lowest accepted percentage, default 99
   * @param options.interval query window, default 1 minute
   */
  static requestSuccessRate(options: { readonly min?: number; readonly interval?: Duration } = {}): CanaryMetric {
    return new CanaryMetric(
      'request-success-rate',
      (binding) => {
        const min = options.min ?? 99;
        if (!(min >= 0 && min <= 100))
          fail(binding, `request-success-rate min ${min} is out of range; use a percentage from 0 to 100, such as 99`);
        return {
          name: 'request-success-rate',
          thresholdRange: { min },
          interval: flaggerDuration(options.interval ?? Duration.minutes(1)),
        };
      },
      options.interval,
    );
  }

  /**
   * Flagger's built-in request duration (P99 of the canary, in milliseconds).
   * @param options.max highest accepted P99, default 500 ms
   * @param options.interval query window, default 1 minute
   */
  static requestDuration(options: { readonly max?: Duration; readonly interval?: Duration } = {}): CanaryMetric {
    return new CanaryMetric(
      'request-duration',
      (binding) => {
        const max = (options.max ?? Duration.millis(500)).toMilliseconds();
        if (!(max > 0)) fail(binding, `request-duration max ${max}ms is not a positive duration; use e.g. Duration.millis(500)`);
        return { name: 'request-duration', thresholdRange: { max }, interval: flaggerDuration(options.interval ?? Duration.minutes(1)) };
      },
      options.interval,
    );
  }

  /** A check on a custom {@link IMetricTemplate} (e.g. {@link MetricTemplate.istioP99Latency}). */
  static fromTemplate(template: IMetricTemplate, options: TemplateMetricOptions): CanaryMetric {
    const name = options.name ?? template.templateName;
    return new CanaryMetric(
      name,
      (binding) => {
        const { min, max } = options;
        if (min === undefined && max === undefined) fail(binding, `metric '${name}' has no threshold; give min, max or both`);
        if (min !== undefined && max !== undefined && min > max) fail(binding, `metric '${name}' min ${min} exceeds max ${max}; swap them`);
        const variables = options.variables ?? {};
        const missing = template.variableNames.filter((v) => !(v in variables));
        if (missing.length > 0)
          fail(
            binding,
            `metric '${name}' leaves template variables ${missing.join(', ')} of ${template.templateNamespace}/${template.templateName} unset; pass them in 'variables'`,
          );
        const unknown = Object.keys(variables).filter((v) => !template.variableNames.includes(v));
        if (unknown.length > 0)
          fail(
            binding,
            `metric '${name}' sets variables ${unknown.join(', ')} that template ${template.templateNamespace}/${template.templateName} does not use (it uses: ${template.variableNames.join(', ') || 'none'}); remove them`,
          );
        return {
          name,
          templateRef: { name: template.templateName, namespace: template.templateNamespace },
          thresholdRange: { min, max },
          interval: flaggerDuration(options.interval ?? binding.interval),
          templateVariables: Object.keys(variables).length > 0 ? variables : undefined,
        };
      },
      options.interval,
    );
  }

  private constructor(
    /** The metric's name in the Canary. */
    readonly name: string,
    private readonly render: (binding: CanaryBinding) => CanarySpecAnalysisMetrics,
    /** The query window, when given. */
    readonly interval?: Duration,
  ) {}

  /** @internal */
  _render(binding: CanaryBinding): CanarySpecAnalysisMetrics {
    return this.render(binding);
  }
}

/** Options common to every {@link Webhook}. */
export interface WebhookOptions {
  /**
   * How long Flagger waits for the call. Must be shorter than the analysis interval.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Key/value pairs sent in the request body.
   * @default - none
   */
  readonly metadata?: Record<string, string>;
}

/** A webhook at an explicit URL. */
export interface UrlWebhookOptions extends WebhookOptions {
  /** The URL Flagger POSTs to. */
  readonly url: string;
}

/** A gate of the Flagger load tester, or a URL of your own. */
export interface GateWebhookOptions extends WebhookOptions {
  /**
   * The URL Flagger POSTs to; a 2xx answer opens the gate.
   * @default - the load tester's manual gate
   */
  readonly url?: string;
}

/** A command run by the Flagger load tester during the analysis. */
export interface LoadTestOptions {
  /** The shell command, e.g. `hey -z 1m -q 10 -c 2 http://app-canary.ns:8000/`. */
  readonly command: string;
  /**
   * The webhook's name.
   * @default 'load-test'
   */
  readonly name?: string;
  /**
   * How long Flagger waits for the load tester to accept the command. Must be shorter than the interval.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/** A `hey` HTTP load test against the canary, run by the Flagger load tester. */
export interface HeyLoadTestOptions {
  /**
   * Request path.
   * @default '/'
   */
  readonly path?: string;
  /**
   * How long each run lasts (`hey -z`).
   * @default Duration.minutes(1)
   */
  readonly duration?: Duration;
  /**
   * Requests per second per worker (`hey -q`).
   * @default 10
   */
  readonly requestsPerSecond?: number;
  /**
   * Concurrent workers (`hey -c`).
   * @default 2
   */
  readonly concurrency?: number;
  /**
   * The webhook's name.
   * @default 'load-test'
   */
  readonly name?: string;
  /**
   * How long Flagger waits for the load tester to accept the command. Must be shorter than the interval.
   * @default Duration.seconds(5)
   */
  readonly timeout?: Duration;
}

/**
 * A call Flagger makes during a release: checks before traffic moves (pre-rollout), load during the
 * analysis (rollout), manual gates (confirm-rollout, confirm-traffic-increase, confirm-promotion),
 * notifications after it (post-rollout), every event (event) and manual rollback.
 */
export class Webhook {
  /** Called before traffic is routed to the canary; a non-2xx answer counts as a failed check. */
  static preRollout(name: string, options: UrlWebhookOptions): Webhook {
    return new Webhook(name, CanarySpecAnalysisWebhooksType.PRE_HYPHEN_ROLLOUT, () => options.url, options);
  }

  /** Called at every analysis step (e.g. a load test); a non-2xx answer counts as a failed check. */
  static rollout(name: string, options: UrlWebhookOptions): Webhook {
    return new Webhook(name, CanarySpecAnalysisWebhooksType.ROLLOUT, () => options.url, options);
  }

  /** Runs `command` on the Flagger load tester at every analysis step. */
  static loadTest(options: LoadTestOptions): Webhook {
    return new Webhook(options.name ?? 'load-test', CanarySpecAnalysisWebhooksType.ROLLOUT, (b) => b.loadTesterUrl, {
      timeout: options.timeout ?? Duration.seconds(5),
      metadata: { type: 'cmd', cmd: options.command },
    });
  }

  /** A `hey` load test against the canary Service (`http://<app>-canary.<namespace>:<port><path>`). */
  static heyLoadTest(options: HeyLoadTestOptions = {}): Webhook {
    const render = (b: CanaryBinding) => {
      const path = options.path ?? '/';
      if (!path.startsWith('/')) fail(b, `load test path '${path}' must start with '/'; write it from the root, such as '/${path}'`);
      const rps = options.requestsPerSecond ?? 10;
      const concurrency = options.concurrency ?? 2;
      for (const [what, v] of [
        ['requestsPerSecond', rps],
        ['concurrency', concurrency],
      ] as const) {
        if (!Number.isInteger(v) || v < 1) fail(b, `load test ${what} ${v} is not a positive whole number; use 1 or more`);
      }
      return `hey -z ${flaggerDuration(options.duration ?? Duration.minutes(1))} -q ${rps} -c ${concurrency} http://${b.app.name}-canary.${b.app.namespace}:${b.port.port}${path}`;
    };
    return new Webhook(
      options.name ?? 'load-test',
      CanarySpecAnalysisWebhooksType.ROLLOUT,
      (b) => b.loadTesterUrl,
      { timeout: options.timeout ?? Duration.seconds(5) },
      (b) => ({ type: 'cmd', cmd: render(b) }),
    );
  }

  /**
   * A manual approval before the canary is promoted: the release waits (metrics keep running) until
   * the gate answers 2xx. The load tester's gate is closed until someone POSTs
   * `{"name": "<canary>", "namespace": "<namespace>"}` to its `/gate/open` (`/gate/close` closes it again).
   */
  static confirmPromotion(options: GateWebhookOptions = {}, name = 'confirm-promotion'): Webhook {
    return new Webhook(
      name,
      CanarySpecAnalysisWebhooksType.CONFIRM_HYPHEN_PROMOTION,
      (b) => options.url ?? `${b.loadTesterUrl}gate/check`,
      options,
    );
  }

  /** A manual approval before a new version is scaled up at all (the load tester's gate, as for {@link Webhook.confirmPromotion}). */
  static confirmRollout(options: GateWebhookOptions = {}, name = 'confirm-rollout'): Webhook {
    return new Webhook(
      name,
      CanarySpecAnalysisWebhooksType.CONFIRM_HYPHEN_ROLLOUT,
      (b) => options.url ?? `${b.loadTesterUrl}gate/check`,
      options,
    );
  }

  /** A manual approval before every increase of the canary's traffic weight (the load tester's gate by default). */
  static confirmTrafficIncrease(options: GateWebhookOptions = {}, name = 'confirm-traffic-increase'): Webhook {
    return new Webhook(
      name,
      CanarySpecAnalysisWebhooksType.CONFIRM_HYPHEN_TRAFFIC_HYPHEN_INCREASE,
      (b) => options.url ?? `${b.loadTesterUrl}gate/check`,
      options,
    );
  }

  /** Receives every event Flagger emits for the release, as JSON (e.g. an audit log or chat relay); its answer is ignored. */
  static event(name: string, options: UrlWebhookOptions): Webhook {
    return new Webhook(name, CanarySpecAnalysisWebhooksType.EVENT, () => options.url, options);
  }

  /** Called after the release finished (promoted or rolled back), e.g. to notify or clean up. */
  static postRollout(name: string, options: UrlWebhookOptions): Webhook {
    return new Webhook(name, CanarySpecAnalysisWebhooksType.POST_HYPHEN_ROLLOUT, () => options.url, options);
  }

  /**
   * Polled during the analysis; a 2xx answer rolls the release back (a manual abort switch). The load
   * tester's switch is thrown by POSTing `{"name": "<canary>", "namespace": "<namespace>"}` to `/rollback/open`.
   */
  static rollback(options: GateWebhookOptions = {}, name = 'rollback'): Webhook {
    return new Webhook(name, CanarySpecAnalysisWebhooksType.ROLLBACK, (b) => options.url ?? `${b.loadTesterUrl}rollback/check`, options);
  }

  private constructor(
    /** The webhook's name (unique in a Canary). */
    readonly name: string,
    /** When Flagger calls it. */
    readonly type: CanarySpecAnalysisWebhooksType,
    private readonly url: (binding: CanaryBinding) => string,
    private readonly options: WebhookOptions,
    private readonly metadata?: (binding: CanaryBinding) => Record<string, string>,
  ) {}

  /** @internal */
  _render(binding: CanaryBinding): CanarySpecAnalysisWebhooks {
    const url = this.url(binding);
    if (!/^https?:\/\/[^\s/]+/.test(url))
      fail(binding, `webhook '${this.name}' URL '${url}' is not an http(s) URL; use e.g. 'http://flagger-loadtester.test/'`);
    const timeout = this.options.timeout ?? Duration.seconds(10);
    if (timeout.toMilliseconds() <= 0 || timeout.toMilliseconds() >= binding.interval.toMilliseconds()) {
      fail(
        binding,
        `webhook '${this.name}' timeout ${flaggerDuration(timeout)} must be shorter than the analysis interval ${flaggerDuration(binding.interval)} (a slow hook would overlap the next run); lower the timeout or raise the interval`,
      );
    }
    const metadata = this.metadata ? this.metadata(binding) : this.options.metadata;
    return { name: this.name, type: this.type, url, timeout: flaggerDuration(timeout), metadata };
  }
}

import { Construct } from 'constructs';
import { HelmComponent } from './helm-component';
import { chartValues, ISTIO_REPOSITORY, ISTIO_SYSTEM_NAMESPACE, ISTIO_VERSION, IstioProfile } from './istio-release';

/** The values of Istio's `base` chart that the platform sets. */
export interface IstioBaseValues {
  /** Installation profile. */
  readonly profile?: string;
  /** Settings shared by every Istio chart. */
  readonly global?: {
    /** Namespace of istiod. */
    readonly istioNamespace?: string;
  };
  /** Revision the default validating webhook points at (`default` for a revisionless install). */
  readonly defaultRevision?: string;
}

/** Properties of an {@link IstioBase}. */
export interface IstioBaseProps {
  /**
   * Installation profile.
   * @default 'default'
   */
  readonly profile?: IstioProfile;
  /**
   * Namespace of the control plane.
   * @default 'istio-system'
   */
  readonly namespace?: string;
}

/**
 * Istio's `base` chart: the cluster-wide resources (CRDs, the default validating webhook) every other
 * Istio chart needs. Install it in an earlier layer than istiod, so its CRDs exist first.
 */
export class IstioBase extends HelmComponent {
  /** The values given to the chart. */
  readonly typedValues: IstioBaseValues;

  constructor(scope: Construct, id: string, props: IstioBaseProps = {}) {
    const namespace = props.namespace ?? ISTIO_SYSTEM_NAMESPACE;
    const values: IstioBaseValues = {
      profile: props.profile === 'openshift' ? 'openshift' : undefined,
      global: { istioNamespace: namespace },
      defaultRevision: 'default',
    };
    super(scope, id, { repository: ISTIO_REPOSITORY, chart: 'base', version: ISTIO_VERSION, namespace, releaseName: 'istio-base', values: chartValues(values) });
    this.typedValues = values;
  }
}

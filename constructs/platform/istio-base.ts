import { Construct } from 'constructs';
import { invalid } from '../core/errors';
import { HelmComponent } from './helm-component';
import { checkIstioProfile, ISTIO_SYSTEM_NAMESPACE, IstioPlatformValue, IstioProfile, istioChart, istioPlatform } from './istio-release';

/**
 * The API groups of the CRDs Istio's `base` chart installs (`files/crd-all.gen.yaml`, rendered by its
 * templates): Istio resources can only be applied in a later layer than `istio-base`.
 */
export const ISTIO_API_GROUPS: readonly string[] = [
  'networking.istio.io',
  'security.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];

/** The values of Istio's `base` chart that the platform sets. */
export interface IstioBaseValues {
  /** The platform overlay (`openshift`); the chart's templates read it only through `zzz_profile.yaml`. */
  readonly platform?: IstioPlatformValue;
  /** Settings shared by the Istio charts. */
  readonly global?: {
    /** Namespace of istiod (the default webhook's Service and the reader ServiceAccount live there). */
    readonly istioNamespace?: string;
  };
  /** Revision the default validating webhook points at (`default` for a revisionless install). */
  readonly defaultRevision?: string;
}

/** Properties of an {@link IstioBase}. */
export interface IstioBaseProps {
  /**
   * The kind of cluster: `openshift` renders `platform: openshift`.
   * @default IstioProfile.DEFAULT (plain Kubernetes: no platform overlay)
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
      platform: istioPlatform(props.profile),
      global: { istioNamespace: namespace },
      defaultRevision: 'default',
    };
    super(scope, id, istioChart('base', { namespace, releaseName: 'istio-base', values, crdApiGroups: ISTIO_API_GROUPS }));
    this.typedValues = values;
    checkIstioProfile(props.profile, (message) => invalid('IstioBase', this, message));
  }
}

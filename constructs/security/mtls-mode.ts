import { PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode } from '../../imports/security.istio.io';
import { Variant } from '../core/variant';

/**
 * A PeerAuthentication mTLS mode: what the sidecars of a mesh, a workload or one of its ports accept.
 * {@link ZeroTrustPolicy}, the mesh-config chart and the zero-trust charts take it.
 */
export class MtlsMode extends Variant<'STRICT' | 'PERMISSIVE' | 'DISABLE'> {
  /** Only mutual TLS is accepted. */
  static readonly STRICT = new MtlsMode('STRICT');
  /** Mutual TLS and plain text are accepted: the migration mode. */
  static readonly PERMISSIVE = new MtlsMode('PERMISSIVE');
  /** Plain text only. */
  static readonly DISABLE = new MtlsMode('DISABLE');

  /** Every mode. */
  static readonly ALL: readonly MtlsMode[] = [MtlsMode.STRICT, MtlsMode.PERMISSIVE, MtlsMode.DISABLE];

  /** @param name - The mode's name in a PeerAuthentication, e.g. `STRICT`. */
  private constructor(name: MtlsMode['name']) {
    super(name);
  }

  /** @internal the L1 value of `spec.mtls.mode` */
  _render(): PeerAuthenticationSpecMtlsMode {
    return PeerAuthenticationSpecMtlsMode[this.name];
  }

  /** @internal the L1 value of `spec.portLevelMtls[port].mode` */
  _renderPortLevel(): PeerAuthenticationSpecPortLevelMtlsMode {
    return PeerAuthenticationSpecPortLevelMtlsMode[this.name];
  }
}

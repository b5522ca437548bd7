import { Variant } from './variant';

/**
 * The application protocol of a Service port, as Istio infers it from the port name
 * (`<protocol>[-<suffix>]`). A port whose name does not start with a known protocol is treated as
 * opaque TCP: no HTTP routing, retries or metrics. {@link MeshApp} names ports from this type.
 */
export class Protocol extends Variant {
  static readonly HTTP = new Protocol('http');
  static readonly HTTP2 = new Protocol('http2');
  static readonly HTTPS = new Protocol('https');
  static readonly GRPC = new Protocol('grpc');
  static readonly GRPC_WEB = new Protocol('grpc-web');
  static readonly TCP = new Protocol('tcp');
  static readonly TLS = new Protocol('tls');
  static readonly MONGO = new Protocol('mongo');
  static readonly MYSQL = new Protocol('mysql');
  static readonly REDIS = new Protocol('redis');
  static readonly UDP = new Protocol('udp', 'UDP');

  /** Every protocol Istio recognises from a port name, longest first (so `grpc-web` wins over `grpc`). */
  static readonly ALL: readonly Protocol[] = [
    Protocol.GRPC_WEB,
    Protocol.HTTP2,
    Protocol.HTTPS,
    Protocol.HTTP,
    Protocol.GRPC,
    Protocol.TCP,
    Protocol.TLS,
    Protocol.MONGO,
    Protocol.MYSQL,
    Protocol.REDIS,
    Protocol.UDP,
  ];

  /** The protocol a port name declares, or undefined when Istio would treat the port as opaque TCP. */
  static fromPortName(name: string): Protocol | undefined {
    return Protocol.ALL.find((p) => name === p.name || name.startsWith(`${p.name}-`));
  }

  private constructor(
    /** The port name prefix, e.g. `http`. */
    name: string,
    /** The transport protocol of the Kubernetes port. */
    readonly transport: 'TCP' | 'UDP' = 'TCP',
  ) {
    super(name);
  }

  /** True for the protocols Istio routes at layer 7 (VirtualService http routes, retries, metrics). */
  get isHttp(): boolean {
    return [Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC, Protocol.GRPC_WEB].includes(this);
  }
}

import { Chart, Testing } from 'cdk8s';
import { GrpcStatus, MeshApp, ResilientRoute } from '../../../constructs';

const NAMES = [
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

describe('GrpcStatus', () => {
  test('ALL lists the sixteen error statuses in code order, each a static member of its own name', () => {
    expect(GrpcStatus.ALL.map((s) => s.name)).toEqual(NAMES);
    for (const s of GrpcStatus.ALL) expect((GrpcStatus as unknown as Record<string, GrpcStatus>)[s.name]).toBe(s);
    expect(`${GrpcStatus.UNAVAILABLE}`).toBe('UNAVAILABLE');
  });

  test.each(GrpcStatus.ALL.map((s) => [s.name, s] as const))(
    'an abort with %s renders fault.abort.grpcStatus by name',
    (name, grpcStatus) => {
      const chart = new Chart(Testing.app(), 'routes', { namespace: 'demo' });
      const app = new MeshApp(chart, 'grpc', { image: 'example/grpc:1', ports: [{ port: 9000 }] });
      new ResilientRoute(chart, 'route', { app, faults: { abort: { grpcStatus, percentage: 10 } } });
      const vs = Testing.synth(chart).find((o) => o.kind === 'VirtualService');
      expect(vs.spec.http[0].fault).toEqual({ abort: { grpcStatus: name, percentage: { value: 10 } } });
    },
  );
});

import * as path from 'node:path';
import { Command } from 'commander';
import type { AccessCheckOptions } from './access';
import { EXIT_CODES_HELP, ExitCode, printJson, setExitCode } from './context';

/** Adds `access check` and `access matrix` to the command line (their modules load when they run). */
export function registerAccessCommands(program: Command, configDir: string): void {
  const access = program
    .command('access')
    .description('evaluate the synthesized AuthorizationPolicies offline, with Istio semantics')
    .addHelpText('after', EXIT_CODES_HELP);
  access
    .command('check')
    .description('is one request allowed? which policy decides? (exit code 1 when it is denied)')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .requiredOption('--to <ns/app>', 'the destination app, e.g. demo/httpbin')
    .option('--from <ns/name>', 'the caller: an app or a service account, e.g. demo/sleep (default: plain text, no identity)')
    .option('-X, --method <method>', 'HTTP method', 'GET')
    .option('--path <path>', 'request path', '/')
    .option('-H, --header <name=value...>', 'request headers', [])
    .option('--jwt-principal <iss/sub>', 'request principal of a validated JWT')
    .option('--port <port>', 'destination workload port (default: the first container port)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print the decision as JSON: { verdict, allowed, decidedBy, reason, message }')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((opts: AccessCheckOptions & { json?: boolean }) => {
      const { accessCheck, environmentForAccess } = require('./access') as typeof import('./access');
      const { objects, chartWorkloads } = environmentForAccess(path.resolve(opts.configDir), opts.env);
      const { decision, text } = accessCheck(objects, opts, chartWorkloads);
      if (opts.json) printJson(decision);
      else process.stdout.write(text);
      if (decision.verdict === 'deny') setExitCode(ExitCode.FINDINGS);
    });
  access
    .command('matrix')
    .description('every app x every app of an environment, for GET /')
    .requiredOption('-e, --env <name>', 'the environment (Pulumi.<env>.yaml)')
    .option('-c, --config-dir <dir>', 'folder of the Pulumi.<env>.yaml files', configDir)
    .option('--json', 'print every cell as JSON')
    .addHelpText('after', EXIT_CODES_HELP)
    .action((opts: { env: string; configDir: string; json?: boolean }) => {
      const { environmentObjects } = require('./access') as typeof import('./access');
      const { accessMatrix, formatMatrix } = require('../inspection/access/matrix') as typeof import('../inspection/access/matrix');
      const cells = accessMatrix(environmentObjects(path.resolve(opts.configDir), opts.env));
      if (opts.json) printJson(cells);
      else process.stdout.write(`${formatMatrix(cells)}\n`);
    });
}

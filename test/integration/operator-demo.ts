/**
 * The README's "Operating spotwise" run: spotwise's table, bus and schedule group in the local emulator
 * (moto), the real coordinator handling what the commands put on the bus, and each command run as an
 * operator would. Prints every command with its output and exit code.
 *
 *   npx tsx test/integration/operator-demo.ts
 */
import { makeHandler as makeCoordinator } from '../../lambda/handlers/coordinator';
import { startMoto } from './moto';
import { BUS, GROUP, TABLE, VICTIM, buildOperatorWorld, runCli } from './operator-world';

const moto = await startMoto();
try {
  const world = await buildOperatorWorld(moto.clientOptions, Date.now());
  const aws = ['--endpoint', moto.endpoint];
  const show = async (args: string[]): Promise<string> => {
    const run = await runCli(args);
    const quoted = args.map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(' ');
    process.stdout.write(`$ spotwise ${quoted}\n${run.stdout}${run.stderr}[exit ${run.code}]\n\n`);
    return run.stdout;
  };
  const deliver = async (): Promise<void> => {
    world.cloud.clock.set(Date.now());
    for (const e of await world.delivered()) {
      const result = await makeCoordinator(world.deps)(e);
      process.stdout.write(`(coordinator handled ${String((e as { 'detail-type': string })['detail-type'])}: ${JSON.stringify(result)})\n\n`);
    }
  };

  const first = await show(['request', '--instance', VICTIM, '--reason', 'kernel patch', '--not-before', '+10m', '--deadline', '+3h', ...aws, '--bus', BUS]);
  const patch = /^request (\S+) sent/m.exec(first)?.[1] ?? '';
  await deliver();
  await show(['request', '--group', GROUP, '--max-priority', '60', '--reason', 'batch drain', '--mode', 'terminate', ...aws, '--bus', BUS]);
  // The profiler's next tick found less capacity for the group (its pool shrank to 5 vCPU).
  await world.store.putPoolCapacity(GROUP, { vcpu: 5, memoryGiB: 32, networkMbps: 30_000, diskIops: 60_000 });
  await deliver();
  await show(['status', ...aws, '--table', TABLE]);
  await show(['status', '--json', '--group', GROUP, ...aws, '--table', TABLE]);
  await show(['explain', patch, ...aws, '--table', TABLE]);
  await show(['cancel', patch, '--reason', 'patch postponed', ...aws, '--table', TABLE, '--bus', BUS]);
  await deliver();
  await show(['cancel', patch, ...aws, '--table', TABLE, '--bus', BUS]);
  await show(['explain', VICTIM, ...aws, '--table', TABLE]);
  await show(['request', '--group', GROUP, '--reason', 'kernel patch', ...aws, '--bus', BUS]);
  world.destroy();
} finally {
  await moto.stop();
}

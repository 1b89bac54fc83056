import type { Command } from 'commander';

export const registerSimulate = (program: Command): void => {
  program
    .command('simulate')
    .description('Run the planner in a simulated cloud on real utilization traces')
    .action(() => {
      console.error('spotwise simulate: the simulator is not built yet (see the simulator issue).');
      process.exitCode = 2;
    });
};

import type { Command } from 'commander';

export const registerPlan = (program: Command): void => {
  program
    .command('plan')
    .description('Print what spotwise would do for an event JSON file')
    .requiredOption('--event <file>', 'event JSON file')
    .action(() => {
      console.error('spotwise plan: not built yet (see the adapters/handlers issue).');
      process.exitCode = 2;
    });
};

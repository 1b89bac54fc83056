import { Command } from 'commander';
import { registerSimulate } from './commands/simulate';
import { registerPlan } from './commands/plan';

/** The `spotwise` command line. Each command lives in bin/commands/<name>.ts. */
export const buildProgram = (): Command => {
  const program = new Command()
    .name('spotwise')
    .description('Predictive spot-interruption manager for EC2 Auto Scaling groups')
    .showHelpAfterError();
  registerSimulate(program);
  registerPlan(program);
  return program;
};

await buildProgram().parseAsync(process.argv);

import { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Each command lives in bin/commands/<name>.ts and is loaded only when it runs: `spotwise status` does
 * not pay for loading the simulator. Without a known command name (help, a typo) every command is
 * loaded, so help lists them all and commander suggests the nearest name.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  simulate: async () => (await import('./commands/simulate')).registerSimulate,
  plan: async () => (await import('./commands/plan')).registerPlan,
  status: async () => (await import('./commands/status')).registerStatus,
  request: async () => (await import('./commands/request')).registerRequest,
  cancel: async () => (await import('./commands/cancel')).registerCancel,
  explain: async () => (await import('./commands/explain')).registerExplain,
  train: async () => (await import('./commands/train')).registerTrain,
};

/** The `spotwise` command line, with the commands `argv` needs (all of them by default). */
export const buildProgram = async (argv: readonly string[] = []): Promise<Command> => {
  const program = new Command().name('spotwise').description('Predictive spot-interruption manager for EC2 Auto Scaling groups').showHelpAfterError();
  const named = argv[2];
  const names = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  for (const name of names) (await (COMMANDS[name] as () => Promise<Register>)())(program);
  return program;
};

await (await buildProgram(process.argv)).parseAsync(process.argv);

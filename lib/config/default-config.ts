/**
 * The configuration used when none is given (no `spotwise` context, no `-c policy=`, no demo): the complete
 * example at the repository root, which is in dry-run. Deploying it changes nothing in the account (the
 * functions plan and report, and hold no permission to change the fleet), and `npm run synth` on a fresh
 * clone shows a representative template: two named groups, a standby group, per-group schedule and alarms.
 */
export const EXAMPLE_CONFIG_FILE = 'spotwise.example.yaml';

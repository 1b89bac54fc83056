import { App } from 'aws-cdk-lib';
import { createSpotwiseApp } from '../lib/app';
import { ConfigFileError } from '../lib/config/load-config';
import { ValidationError } from '../lambda/contracts/validation';

/**
 * The CDK app (cdk.json: "npx tsx bin/spotwise.ts"). A configuration error is printed as one line naming the
 * field and the value, and fails the synth with exit code 1 (no stack trace: it is the user's input).
 */
try {
  const app = new App();
  createSpotwiseApp(app);
  app.synth();
} catch (error) {
  if (error instanceof ValidationError || error instanceof ConfigFileError) {
    process.stderr.write(`spotwise: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

import type { ShapingPolicy } from '../domain';
import { shapingPolicyYamlSchema, toShapingPolicy } from './policy-schema';

/** The policy a group gets when none is configured: the schema defaults with medium priority. */
export const DEFAULT_POLICY: ShapingPolicy = Object.freeze(
  toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'default', priority: 'medium' })),
);

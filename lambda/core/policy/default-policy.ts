import type { ShapingPolicy } from '../domain';
import { shapingPolicyYamlSchema } from '../../contracts/policy-schema';
import { toShapingPolicy } from './to-shaping-policy';

/** The policy a group gets when none is configured: the schema defaults with medium priority. */
export const DEFAULT_POLICY: ShapingPolicy = Object.freeze(toShapingPolicy(shapingPolicyYamlSchema.parse({ policy_name: 'default', priority: 'medium' })));

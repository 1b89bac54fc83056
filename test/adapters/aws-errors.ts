import { EC2ServiceException } from '@aws-sdk/client-ec2';

/** SDK errors as the SDK builds them, for the mocks to reject with. */
export const meta = (httpStatusCode = 400) => ({ httpStatusCode, requestId: 'req-test', attempts: 1, totalRetryDelay: 0 });

/**
 * EC2 (query protocol) has no modeled exceptions: the SDK throws EC2ServiceException whose `name` is
 * the AWS error code.
 */
export const ec2Error = (code: string, message = `${code} from EC2`, status = 400): EC2ServiceException =>
  new EC2ServiceException({ name: code, $fault: status >= 500 ? 'server' : 'client', $metadata: meta(status), message });

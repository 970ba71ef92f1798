/**
 * What the stand-in ipmitool and the simulated IPMI BMCs exchange over the admin endpoint. Kept free
 * of heavy imports: the stand-in loads it on every invocation.
 */

/** Admin route of one ipmitool session. */
export const IPMI_ROUTE = '/simulator/bmc/ipmi';

/** ipmitool's answer when no session opens: wrong user or password, or no BMC at that address. */
export const NO_SESSION_MESSAGE = 'Error: Unable to establish IPMI v2 / RMCP+ session';

export interface IpmiSessionRequest {
  address: string;
  /** RMCP+ port given with `-p` (623 when absent). */
  port?: number;
  username: string;
  password: string;
  /** The command words after the options: `chassis power on`, `chassis bootdev pxe`. */
  command: string[];
}

/** What ipmitool prints, and its exit status. */
export interface IpmitoolOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

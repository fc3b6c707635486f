/** A syslog message as every part of the daemon sees it, whatever its wire format. */

export interface StructuredElement {
  id: string;
  params: [string, string][];
}

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** as sent; undefined when the sender gave none (3164 without a timestamp, 5424 NILVALUE) */
  timestamp?: Date;
  /** the timestamp text as it was sent, kept for faithful forwarding */
  timestampText?: string;
  hostname?: string;
  /** 3164 TAG / 5424 APP-NAME */
  app?: string;
  /** 3164 [PID] / 5424 PROCID */
  procId?: string;
  msgId?: string;
  structuredData: StructuredElement[];
  /** the free-form text */
  msg: string;
  /** which wire format it was parsed from */
  format: 'rfc3164' | 'rfc5424';
  /** the input was longer than the maximum message size and was cut */
  truncated?: boolean;
}

/** clamd's reply texts (clamd(8); checked against clamd 1.4.6). */
export const REPLY = {
  PONG: 'PONG',
  RELOADING: 'RELOADING',
  UNKNOWN_COMMAND: 'UNKNOWN COMMAND',
  UNAVAILABLE: 'COMMAND UNAVAILABLE',
  READ_TIMEOUT: 'COMMAND READ TIMED OUT',
  SIZE_EXCEEDED: 'INSTREAM size limit exceeded. ERROR',
  SESSION_INVALID: 'Command invalid inside IDSESSION. ERROR',
  SESSION_PREFIX_REQUIRED: 'Only nCMDS\\n and zCMDS\\0 are accepted inside IDSESSION. ERROR',
  PROCESSING_ERROR: 'Error processing command. ERROR',
} as const;

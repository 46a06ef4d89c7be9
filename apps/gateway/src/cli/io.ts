/** What a command may touch, injected so commands run in-process in tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Aborts when the process is asked to stop (SIGINT/SIGTERM); long-running commands watch it. */
  stop: AbortSignal;
}

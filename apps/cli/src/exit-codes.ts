/** Exit codes shared by every command: 0 ok, 1 the work found a problem, 2 the call itself was wrong. */
export const EXIT_OK = 0;
export const EXIT_PROBLEM = 1;
export const EXIT_USAGE = 2;
/** The command was stopped by SIGINT or SIGTERM (Ctrl-C) and said how far it got: 128 + 2. */
export const EXIT_INTERRUPTED = 130;

// Root hooks for every unit test: an uncaught exception or unhandled rejection anywhere fails
// the run (mocha reports uncaught exceptions itself; rejections are made to throw here), and
// every child process a test started is killed after each test.
import { killAllChildren } from './helpers';

process.on('unhandledRejection', (reason) => {
  throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
});

export const mochaHooks = {
  afterEach(): void {
    killAllChildren();
  },
};

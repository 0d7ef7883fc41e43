import { runTeardown } from './stops';

export default async function teardown(): Promise<void> {
  await runTeardown();
}

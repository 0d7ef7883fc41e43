/** The project's root folder, for scripts, the benchmark and tests that name files in it. */
import { resolve } from 'node:path';

export const PROJECT_ROOT = resolve(__dirname, '..');

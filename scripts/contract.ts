/**
 * npm run contract: writes contract/ (the JSON Schema files, the codec vectors and the request
 * difference cases) from the TypeScript types, codec and attach check. Run it after changing either; test/unit/contract-files.test.ts fails
 * while a checked-in file differs from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCodecVectors } from './codec-vectors';
import { generateContractSchemas } from './contract-schemas';
import { REQUEST_DIFFERENCES_FILE, requestDifferenceCases } from './request-difference-cases';

export const CONTRACT_DIR = join(__dirname, '..', 'contract');
export const CODEC_VECTORS_FILE = 'codec-vectors.json';

/** Every file of contract/, by name, as this script writes it. */
export async function contractFiles(): Promise<Map<string, string>> {
  const files = generateContractSchemas();
  files.set(CODEC_VECTORS_FILE, `${JSON.stringify(await generateCodecVectors(), null, 2)}\n`);
  files.set(REQUEST_DIFFERENCES_FILE, `${JSON.stringify(requestDifferenceCases(), null, 2)}\n`);
  return files;
}

async function main(): Promise<void> {
  mkdirSync(CONTRACT_DIR, { recursive: true });
  for (const [name, text] of await contractFiles()) {
    writeFileSync(join(CONTRACT_DIR, name), text);
    console.log(`wrote contract/${name}`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error('Could not write the contract files:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

/**
 * The conformance suite (README "Conformance"): the vendors' clients against one deployment. Clients written from the
 * vendor documents alone (test/clients/hyperverge.ts, test/clients/advance-ai.ts) and Tencent's official SDK call it as
 * a customer would; every answer is checked against the captured documents in ../shared/seeds.
 *
 * `npm run conformance` runs this file alone; `npm test` runs it too. With CONFORMANCE_BASE_URL it checks that
 * deployment; without, it starts the real service on a loopback port (test/conformance/target.ts).
 */
import { afterAll, beforeAll } from 'vitest';
import { advanceAiSuite } from './advance-ai.js';
import { hyperVergeSuite } from './hyperverge.js';
import { openTarget, type ConformanceTarget } from './target.js';
import { tencentEssSuite } from './tencent-ess.js';

let opened: ConformanceTarget | undefined;
const target = (): ConformanceTarget => {
  if (!opened) throw new Error('the conformance target did not open (see the first error above)');
  return opened;
};

beforeAll(async () => {
  opened = await openTarget();
  console.log(`conformance: ${opened.mode} target ${opened.baseUrl}, app ${opened.appId}`);
});
afterAll(async () => {
  await opened?.close();
});

hyperVergeSuite(target);
advanceAiSuite(target);
tencentEssSuite(target);

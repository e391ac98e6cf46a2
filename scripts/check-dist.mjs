// `npm start` runs dist/main.js (the compiled build, no TypeScript loader). This is its prestart: when dist/ is
// missing, say how to get it instead of failing with "Cannot find module". Plain JavaScript: it must run before anything
// is built.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../dist/main.js', import.meta.url))) {
  console.error('dist/main.js is missing: run `npm run build` (npm ci runs it at install), or `npm run dev` to serve from src/ with tsx');
  process.exit(1);
}

import { FaceAnalyzer } from '../src/pipeline/analyze.js';
import { createQualityChecker } from '../src/quality/index.js';
import { QUALITY_CHECKS } from '../src/pipeline/types.js';
import { loadBenchRegistry } from './registry.js';
import sharp from 'sharp';
const registry = await loadBenchRegistry({});
const analyzer = new FaceAnalyzer(registry);
const check = createQualityChecker(registry);
const files = ['/work/shared/data/attributes/face_recognition_ageitgey/obama-1080p.jpg', '/work/shared/data/attributes/faceapi/neutral.jpg', '/work/shared/data/attributes/selfies_sunglasses/s1_images_657.jpeg'];
const sets: Record<string, readonly any[]> = { sunglasses: ['sunglasses'], eyewear3: ['eyewear', 'sunglasses', 'readingGlasses'], all14: QUALITY_CHECKS };
for (const f of files) {
  const { data, info } = await sharp(f).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const a = await analyzer.analyze({ data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height });
  a.alignedFace;
  for (const [name, set] of Object.entries(sets)) {
    for (let i = 0; i < 5; i++) await check(a, set as any);
    const t: number[] = [];
    for (let i = 0; i < 40; i++) { const s = performance.now(); await check(a, set as any); t.push(performance.now() - s); }
    t.sort((x, y) => x - y);
    console.log(f.split('/').pop(), name, 'p50', t[20]!.toFixed(2), 'p90', t[36]!.toFixed(2));
  }
}
process.exit(0);

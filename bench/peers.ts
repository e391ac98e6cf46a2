/**
 * `npm run bench -- peers [--rounds=N] [--images=a.jpg,b.jpg] [--warmup=N] [--ort-threads=N] [--out=DIR]`
 * (--ort-threads: ORT intra-op threads for ours; 0 = ORT default, 1 = single-threaded like tfjs-wasm in Node)
 *
 * Ours (onnxruntime-node) against @vladmandic/face-api and @vladmandic/human, both on @tensorflow/tfjs with
 * the wasm backend (tfjs-node cannot install here), doing the equivalent work on the same images. Each
 * round runs every system once over all images, in the order ours, face-api, Human, so machine noise (other
 * processes, thermal state) lands on all three; the ratio ours ÷ theirs is taken per round and reported as
 * min / median / max over rounds.
 *
 * Equivalent work, per image, one face (the best / largest):
 * - decode: the JPEG/PNG bytes to RGB pixels (sharp for all three; EXIF-rotated);
 * - detector: ours the service's cascade (BlazeFace front-camera at 128², then SSD MobileNetV1 at 512² where
 *   src/pipeline/analyze.ts's rules send the image: on the default images, the six group photos); face-api SSD
 *   MobileNetV1; Human BlazeFace;
 * - landmarks: ours and face-api the 68-point net (ours twice where BlazeFace answered: from its box, then from the
 *   box the landmarks give); Human FaceMesh (468 points; iris off, as ours has none here);
 * - embedding + age/gender: ours and face-api the face-api recogniser and AgeGenderNet; Human faceres (one
 *   model gives both);
 * - liveness: ours Human liveness (ONNX conversion; Human antispoof runs only for the liveness bench, as no fusion
 *   weighs it: src/pipeline/liveness.ts); face-api none; Human antispoof + liveness.
 * face-api runs `detectSingleFace(SSD).withFaceLandmarks().withAgeAndGender().withFaceDescriptor()`
 * (single, not detectAllFaces: ours analyses the primary face only, and Human is set to maxDetected 1).
 * Writes <out>/peers.json and peers.md (out = bench/out).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { AppError } from '../src/errors.js';
import { decodeImage } from '../src/imaging/decode.js';
import { AgeGenderEstimator } from '../src/pipeline/age-gender.js';
import { FaceAnalyzer } from '../src/pipeline/analyze.js';
import { FaceEmbedder } from '../src/pipeline/face-embedding.js';
import { LivenessEstimator } from '../src/pipeline/liveness.js';
import { packageDir } from '../scripts/convert/recipe.js';
import { machineInfo, machineMarkdown, type MachineInfo } from './machine.js';
import { Progress } from './progress.js';
import { fmt, intOption, option, ratioSpread, type Spread, spread } from './stats.js';
import { loadBenchRegistry } from './registry.js';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'data');

/** Default images: face-api's six demo photos and two single-face photos of ../shared/data. */
export function defaultPeerImages(): string[] {
  const demo = path.join(packageDir('@vladmandic/face-api'), 'demo');
  return [
    ...[1, 2, 3, 4, 5, 6].map((i) => path.join(demo, `sample${i}.jpg`)),
    path.join(dataDir, 'attributes/face_recognition_ageitgey/obama-480p.jpg'),
    path.join(dataDir, 'liveness/silent_face/live/image_T1.jpg'),
  ];
}

export const EQUIVALENT_WORK: readonly { step: string; ours: string; faceApi: string; human: string }[] = [
  { step: 'decode', ours: 'sharp (decodeImage)', faceApi: 'sharp → tf.tensor3d', human: 'sharp → tf.tensor3d' },
  {
    step: 'detector',
    ours: 'cascade: BlazeFace front 128², then SSD MobileNetV1 512² where its rules send the image (ONNX)',
    faceApi: 'SSD MobileNetV1, detectSingleFace',
    human: 'BlazeFace, maxDetected 1',
  },
  { step: 'landmarks', ours: '68-point net (twice where BlazeFace answered)', faceApi: '68-point net', human: 'FaceMesh 468 points (iris off)' },
  { step: 'embedding', ours: 'face-api recogniser, 128-d', faceApi: 'face-api recogniser, 128-d', human: 'faceres, 1024-d (same model as age/gender)' },
  { step: 'age/gender', ours: 'AgeGenderNet', faceApi: 'AgeGenderNet', human: 'faceres' },
  { step: 'liveness', ours: 'Human liveness (ONNX)', faceApi: '— (has none)', human: 'antispoof + liveness' },
];

type System = 'ours' | 'faceApi' | 'human';
const SYSTEMS: readonly System[] = ['ours', 'faceApi', 'human'];

interface WasmInfo {
  simd: boolean;
  multithread: boolean;
  threads: number;
}

export interface PeersReport {
  command: string;
  machine: MachineInfo;
  images: string[];
  rounds: number;
  warmup: number;
  wasm: WasmInfo;
  /** Images per second, one value per round. */
  throughput: Record<System, number[]>;
  throughputSpread: Record<System, Spread>;
  ratios: { faceApi: Spread & { perRound: number[] }; human: Spread & { perRound: number[] } };
  equivalentWork: typeof EQUIVALENT_WORK;
  /** Faces each system reported per image in the last round (1 = found the face; 0 = none). */
  facesFound: Record<System, number[]>;
  notes: string[];
}

type Tf = typeof import('@tensorflow/tfjs');
// The peers' own typings are not worth importing for a bench: both are loaded from their CommonJS builds.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

async function tfWasm(): Promise<Tf> {
  const tf = require('@tensorflow/tfjs') as Tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}

/**
 * Serves `file://` model URLs to tfjs (Node's fetch does not read file: URLs, and tfjs-node's file handler
 * is not installed): the model.json plus its weight shards concatenated, as tf.io.fromMemory expects.
 */
function registerFileLoader(tf: Tf): void {
  const router = (url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    if (typeof first !== 'string' || !first.startsWith('file://')) return null;
    const file = fileURLToPath(first);
    return {
      load: async () => {
        const json = JSON.parse(readFileSync(file, 'utf8'));
        const weightSpecs = json.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
        const data = Buffer.concat(json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(path.join(path.dirname(file), p)))));
        // `signature` matters: it names the outputs (Human's faceres embedding is an inner node, not a leaf).
        return { modelTopology: json.modelTopology, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata, modelInitializer: json.modelInitializer, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, weightSpecs, weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
      },
    };
  };
  tf.io.registerLoadRouter(router as unknown as Parameters<Tf['io']['registerLoadRouter']>[0]);
}

async function decodeForTf(tf: Tf, bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), [info.height, info.width, 3], 'int32');
}

export async function benchPeers(argv: readonly string[] = process.argv): Promise<PeersReport> {
  const rounds = intOption('rounds', 5, argv);
  const warmup = intOption('warmup', 1, argv, 0);
  const outDir = path.resolve(option('out', argv) ?? path.join(repoRoot, 'bench', 'out'));
  const files = option('images', argv)?.split(',').map((f) => path.resolve(f)) ?? defaultPeerImages();
  const images = files.map((file) => new Uint8Array(readFileSync(file)));

  // Ours: the same stage objects the service builds, embedded models only (no packs), ORT on the CPU.
  const ortThreads = intOption('ort-threads', 0, argv, 0);
  const registry = await loadBenchRegistry({ intraOpThreads: ortThreads });
  const analyzer = new FaceAnalyzer(registry);
  const liveness = new LivenessEstimator(registry);
  const ageGender = new AgeGenderEstimator(registry);
  const embedder = new FaceEmbedder(registry);
  const ours = async (bytes: Uint8Array): Promise<number> => {
    const image = await decodeImage(bytes, { maxPixels: 25_000_000 });
    const analysis = await analyzer.analyze(image).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return undefined;
      throw error;
    });
    if (!analysis) return 0;
    await liveness.verdict(analysis);
    await ageGender.estimate(analysis);
    await embedder.embed(analysis);
    return 1;
  };

  const tf = await tfWasm();
  registerFileLoader(tf);
  const wasm: WasmInfo = {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    threads: (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount: () => number }).getThreadsCount(),
  };

  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as Any;
  const faceapiModels = path.join(packageDir('@vladmandic/face-api'), 'model');
  for (const net of ['ssdMobilenetv1', 'faceLandmark68Net', 'faceRecognitionNet', 'ageGenderNet']) await faceapi.nets[net].loadFromDisk(faceapiModels);
  const ssdOptions = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  const faceApiRun = async (bytes: Uint8Array): Promise<number> => {
    const tensor = await decodeForTf(tf, bytes);
    try {
      const result = await faceapi.detectSingleFace(tensor, ssdOptions).withFaceLandmarks().withAgeAndGender().withFaceDescriptor();
      return result?.descriptor && Number.isFinite(result.age) ? 1 : 0;
    } finally {
      tensor.dispose();
    }
  };

  // Human's exports map hides the node-wasm build: require it from the package's dist folder.
  const { Human } = require(path.join(path.dirname(require.resolve('@vladmandic/human')), 'human.node-wasm.js')) as { Human: new (config: object) => Any };
  const human = new Human({
    backend: 'wasm',
    wasmPath: `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`,
    modelBasePath: `file://${path.join(packageDir('@vladmandic/human'), 'models')}/`,
    debug: false,
    async: true,
    warmup: 'none',
    cacheSensitivity: 0, // no frame cache: every call is a new photo
    skipAllowed: false,
    filter: { enabled: false },
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 1, minConfidence: 0.2, return: false, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: true },
      iris: { enabled: false },
      attention: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: true, skipFrames: 0, skipTime: 0 },
      antispoof: { enabled: true, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: true, skipFrames: 0, skipTime: 0 },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
  });
  await human.load();
  const humanRun = async (bytes: Uint8Array): Promise<number> => {
    const tensor = await decodeForTf(tf, bytes);
    try {
      const result = await human.detect(tensor);
      if (result.error) throw new Error(`Human: ${result.error}`);
      // A face counts when every requested model answered (faceres → embedding + age, antispoof → real, liveness → live).
      return result.face.filter((f: Any) => f.embedding?.length && Number.isFinite(f.age) && Number.isFinite(f.real) && Number.isFinite(f.live) && f.mesh?.length).length;
    } finally {
      tensor.dispose();
    }
  };

  const runners: Record<System, (bytes: Uint8Array) => Promise<number>> = { ours, faceApi: faceApiRun, human: humanRun };
  for (let i = 0; i < warmup; i++) for (const system of SYSTEMS) for (const bytes of images) await runners[system](bytes);

  const throughput: Record<System, number[]> = { ours: [], faceApi: [], human: [] };
  const facesFound: Record<System, number[]> = { ours: [], faceApi: [], human: [] };
  const progress = new Progress('peers', rounds * SYSTEMS.length);
  for (let round = 0; round < rounds; round++) {
    for (const system of SYSTEMS) {
      const found: number[] = [];
      const t0 = performance.now();
      for (const bytes of images) found.push(await runners[system](bytes));
      throughput[system].push((images.length / (performance.now() - t0)) * 1000);
      facesFound[system] = found;
      progress.tick();
    }
  }
  progress.finish();
  await registry.dispose();

  const report: PeersReport = {
    command: `npm run bench -- peers ${argv.slice(3).join(' ')}`.trim(),
    machine: machineInfo('cpu'),
    images: files.map((f) => path.relative(repoRoot, f)),
    rounds,
    warmup,
    wasm,
    throughput,
    throughputSpread: { ours: spread(throughput.ours), faceApi: spread(throughput.faceApi), human: spread(throughput.human) },
    ratios: { faceApi: ratioSpread(throughput.ours, throughput.faceApi), human: ratioSpread(throughput.ours, throughput.human) },
    equivalentWork: EQUIVALENT_WORK,
    facesFound,
    notes: [
      `tfjs-backend-wasm: SIMD ${wasm.simd ? 'on' : 'off'}, multithreading ${wasm.multithread ? 'on' : 'off'} (${wasm.threads} thread${wasm.threads === 1 ? '' : 's'}); onnxruntime-node: CPU provider, intra-op threads ${ortThreads || 'ORT default (one per physical core)'}${ortThreads === 1 ? ' (like tfjs-wasm here)' : ''}.`,
      'ours runs the same stage objects as the service (FaceAnalyzer, LivenessEstimator, AgeGenderEstimator, FaceEmbedder); quality checks are excluded because the peers have no equivalent.',
      'the ratio is taken per round (ours ÷ theirs images/s of the same round), then min / median / max over rounds; > 1 = ours faster.',
    ],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'peers.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'peers.md'), peersMarkdown(report));
  console.log(peersMarkdown(report));
  console.log(`wrote ${path.join(outDir, 'peers.json')}, peers.md`);
  return report;
}

export function peersMarkdown(r: PeersReport): string {
  const s = (x: Spread, d = 2) => `${fmt(x.min, d)} / ${fmt(x.median, d)} / ${fmt(x.max, d)}`;
  return [
    '# Peers: ours vs face-api and Human (tfjs-wasm), interleaved rounds',
    '',
    `command: \`${r.command}\``,
    '',
    machineMarkdown(r.machine),
    `- ${r.rounds} rounds × ${r.images.length} images (${r.warmup} warm-up round(s) excluded), order per round: ours, face-api, Human`,
    `- images: ${r.images.join(', ')}`,
    '',
    '| system | images/s min / median / max | ours ÷ theirs min / median / max | faces found (last round) |',
    '|---|---:|---:|---|',
    `| ours (onnxruntime-node, cpu) | ${s(r.throughputSpread.ours)} | — | ${r.facesFound.ours.join(' ')} |`,
    `| @vladmandic/face-api (tfjs-wasm) | ${s(r.throughputSpread.faceApi)} | ${s(r.ratios.faceApi)} | ${r.facesFound.faceApi.join(' ')} |`,
    `| @vladmandic/human (tfjs-wasm) | ${s(r.throughputSpread.human)} | ${s(r.ratios.human)} | ${r.facesFound.human.join(' ')} |`,
    '',
    'Equivalent work per image (one face):',
    '',
    '| step | ours | face-api | Human |',
    '|---|---|---|---|',
    ...r.equivalentWork.map((w) => `| ${w.step} | ${w.ours} | ${w.faceApi} | ${w.human} |`),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

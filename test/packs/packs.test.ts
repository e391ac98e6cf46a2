/**
 * Model packs end to end: models/packs.json against the upstream files (../shared/data/models), the fetch
 * script with a local mirror (MiniFASNet converted from its .pth on the way), the default install's soft
 * mode when the source cannot be reached or is wrong (never the real internet: a closed local port, a local
 * HTTP server, or an injected fetch), and the YuNet / MiniFASNet wrappers on real images.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPacks, selectPacks } from '../../scripts/fetch-models.js';
import { type Box, iou } from '../../src/imaging/geometry.js';
import { MiniFasnet, averageRealProbability } from '../../src/inference/minifasnet.js';
import { type PackEntry, type PackList, installedPacks, packStatuses, rawGithubUrl, readPacks, sha256OfFile } from '../../src/inference/packs.js';
import { ModelSession } from '../../src/inference/session.js';
import { YunetDetector } from '../../src/inference/yunet.js';
import { readRgb, repoRoot, sharedData } from '../helpers/reference.js';

const packsFile = path.join(repoRoot, 'models', 'packs.json');
const list = readPacks(packsFile);
const pack = (id: string): PackEntry => {
  const p = list.packs.find((x) => x.id === id);
  if (!p) throw new Error(`pack ${id} not in models/packs.json`);
  return p;
};
const mirror = () => path.dirname(path.dirname(path.dirname(sharedData('models/detection/yunet/yunet_n_320_320.onnx'))));
/** A session on a pack's upstream ONNX file (packs installed as-is only: a converted pack's mirror file is not ONNX). */
const session = (id: string) => ModelSession.create(id, sharedData(path.join('models', pack(id).mirrorPath)));
const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
/** A TCP port nothing listens on: bound once by the OS, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
/** The non-empty lines a process printed, stdout and stderr together. */
const printed = (run: { stdout: string; stderr: string }) => `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
/** Writes a pack list into a fresh temp folder; returns its path. */
function writeList(packs: PackEntry[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'packs-list-')), 'packs.json');
  writeFileSync(file, JSON.stringify({ schemaVersion: 1, packs }));
  return file;
}

describe('models/packs.json', () => {
  it('lists MiniFASNet V2 + V1SE and every YuNet variant, matching the shared files and labels/files.tsv', () => {
    expect(list.packs.map((p) => p.id)).toEqual(['minifasnet-v2', 'minifasnet-v1se', 'yunet-n-320', 'yunet-n-640', 'yunet-n-dynamic', 'yunet-s-dynamic', 'ultraface-masked-640']);
    const rows = readFileSync(sharedData('labels/files.tsv'), 'utf8').split('\n').map((line) => line.split('\t'));
    const header = rows[0]!;
    const col = (name: string) => header.indexOf(name);
    for (const p of list.packs.filter((x) => !x.convert)) {
      const file = sharedData(path.join('models', p.mirrorPath));
      expect(sha256OfFile(file), p.id).toBe(p.sha256);
      expect(readFileSync(file).byteLength, p.id).toBe(p.bytes);
      const row = rows.find((r) => r[col('path')] === `models/${p.mirrorPath}`);
      expect(row, `files.tsv row for ${p.mirrorPath}`).toBeDefined();
      expect(p.source).toMatchObject({ repository: row![col('source_repo')], commit: row![col('commit')], path: row![col('source_path')] });
      expect(p.url).toBe(rawGithubUrl(p.source));
      // The one downloaded-as-is default: YuNet-s, the face counter (src/pipeline/analyze.ts FACE_COUNTER_PACK_ID).
      expect(p.default, p.id).toBe(p.id === 'yunet-s-dynamic' ? true : undefined);
    }
  });

  it('pins MiniFASNet to the ORIGINAL Silent-Face .pth files (Apache-2.0), converted at install, in the default install', () => {
    // The .pth files of minivision-ai/Silent-Face-Anti-Spoofing at b6d5f04 (../shared/data/README.md, "Optional ONNX models").
    const original = { 'minifasnet-v2': '2.7_80x80_MiniFASNetV2.pth', 'minifasnet-v1se': '4_0_0_80x80_MiniFASNetV1SE.pth' };
    for (const [id, name] of Object.entries(original)) {
      const p = pack(id);
      expect(p.source).toEqual({
        repository: 'minivision-ai/Silent-Face-Anti-Spoofing',
        commit: 'b6d5f04ad78778917853b25c778acef6d5626d15',
        path: `resources/anti_spoof_models/${name}`,
        upstream: 'https://github.com/minivision-ai/Silent-Face-Anti-Spoofing',
        license: 'Apache-2.0 (minivision-ai/Silent-Face-Anti-Spoofing LICENSE)',
      });
      expect(p.url).toBe(`https://raw.githubusercontent.com/minivision-ai/Silent-Face-Anti-Spoofing/b6d5f04ad78778917853b25c778acef6d5626d15/resources/anti_spoof_models/${name}`);
      expect(p.mirrorPath).toBe(`antispoof/minifasnet/${name}`);
      const file = sharedData(path.join('models', p.mirrorPath));
      expect(p.convert).toEqual({ converter: id, sourceSha256: sha256OfFile(file), sourceBytes: readFileSync(file).byteLength });
      expect(p.default).toBe(true);
      expect(p.sha256).not.toBe(p.convert!.sourceSha256);
      expect(p.inputs[0]!.shape).toEqual(['batch', 3, 80, 80]);
      expect(p.outputs[0]!.shape).toEqual(['batch', 3]);
    }
    expect(pack('minifasnet-v2').convert!.sourceSha256).toBe('a5eb02e1843f19b5386b953cc4c9f011c3f985d0ee2bb9819eea9a142099bec0');
    expect(pack('minifasnet-v1se').convert!.sourceSha256).toBe('84ee1d37d96894d5e82de5a57df044ef80a58be2b218b5ed7cdfd875ec2f5990');
    expect(pack('minifasnet-v2').faceCropScale).toBe(2.7);
    expect(pack('minifasnet-v1se').faceCropScale).toBe(4);
    expect(selectPacks(list, { defaultOnly: true }).map((p) => p.id)).toEqual(['minifasnet-v2', 'minifasnet-v1se', 'yunet-s-dynamic']);
  });

  it('refuses an unknown converter', () => {
    const bad = { schemaVersion: 1, packs: [{ ...pack('minifasnet-v2'), convert: { ...pack('minifasnet-v2').convert, converter: 'onnx-simplifier' } }] };
    const file = writeList(bad.packs as PackEntry[]);
    try {
      expect(() => readPacks(file)).toThrow(/convert\.converter/);
    } finally {
      rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe('fetch-models with MODELS_MIRROR', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'packs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs from the mirror with verified sha256 (MiniFASNet converted to the ONNX hash packs.json pins), then skips what is present', async () => {
    const lines: string[] = [];
    const first = await fetchPacks({ list, dir, mirror: mirror(), log: (l) => lines.push(l) });
    expect(first.map((r) => r.outcome)).toEqual(list.packs.map(() => 'installed'));
    expect(first[0]!.from).toBe(path.join(mirror(), 'antispoof/minifasnet/2.7_80x80_MiniFASNetV2.pth'));
    for (const id of ['minifasnet-v2', 'minifasnet-v1se']) {
      expect(sha256OfFile(path.join(dir, `${id}.onnx`))).toBe(pack(id).sha256);
      expect(lines.some((l) => l.startsWith(`    ${id}: converted with ${id} in `)), lines.join('\n')).toBe(true);
    }
    expect(installedPacks(dir, list).map((s) => s.pack.id)).toEqual(list.packs.map((p) => p.id));
    const second = await fetchPacks({ list, dir, mirror: mirror(), only: ['yunet-n-320'], log: () => {} });
    expect(second).toEqual([{ id: 'yunet-n-320', outcome: 'present' }]);
    expect(readdirSync(dir).sort()).toEqual(list.packs.map((p) => p.file).sort());
  });

  it('reports a changed file as corrupt and replaces it', async () => {
    const target = path.join(dir, 'yunet-n-320.onnx');
    writeFileSync(target, 'not a model');
    expect(packStatuses(dir, list).find((s) => s.pack.id === 'yunet-n-320')!.state).toBe('corrupt');
    expect(installedPacks(dir, list).map((s) => s.pack.id)).not.toContain('yunet-n-320');
    const [result] = await fetchPacks({ list, dir, mirror: mirror(), only: ['yunet-n-320'], log: () => {} });
    expect(result!.outcome).toBe('installed');
    expect(sha256OfFile(target)).toBe(pack('yunet-n-320').sha256);
  });

  it('fails on a wrong sha256 with "expected X, got Y" and leaves nothing behind', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'packs-bad-'));
    try {
      const wrong = 'f'.repeat(64);
      const v2 = pack('minifasnet-v2');
      const plain = pack('yunet-n-320');
      const bad: PackList = { schemaVersion: 1, packs: [{ ...v2, convert: { ...v2.convert!, sourceSha256: wrong } }, { ...plain, sha256: wrong }] };
      const [source, asIs] = await fetchPacks({ list: bad, dir: empty, mirror: mirror(), log: () => {} });
      expect(source).toMatchObject({ outcome: 'failed', failure: 'integrity' });
      expect(source!.error).toContain(`expected ${wrong} (1849453 bytes), got ${v2.convert!.sourceSha256} (1849453 bytes)`);
      expect(asIs).toMatchObject({ outcome: 'failed', failure: 'integrity' });
      expect(asIs!.error).toContain(`expected ${wrong} (${plain.bytes} bytes), got ${plain.sha256}`);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a truncated or corrupt mirror file, a file the converter cannot read, or a converter output of another hash; nothing left behind', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'packs-corrupt-mirror-'));
    try {
      const badMirror = path.join(work, 'mirror');
      const out = path.join(work, 'out');
      const v2 = pack('minifasnet-v2');
      mkdirSync(path.join(badMirror, 'antispoof/minifasnet'), { recursive: true });
      const original = readFileSync(path.join(mirror(), v2.mirrorPath));
      writeFileSync(path.join(badMirror, v2.mirrorPath), original.subarray(0, original.length - 1000));
      const [truncated] = await fetchPacks({ list: { schemaVersion: 1, packs: [v2] }, dir: out, mirror: badMirror, log: () => {} });
      expect(truncated).toMatchObject({ outcome: 'failed', failure: 'integrity' });
      expect(truncated!.error).toContain(`expected ${v2.convert!.sourceSha256} (1849453 bytes), got `);
      expect(truncated!.error).toContain('(1848453 bytes)');
      expect(readdirSync(out)).toEqual([]);

      // A file whose hash the list accepts but which is no .pth (the YuNet ONNX): the converter refuses it.
      const notPth = pack('yunet-n-320');
      copyFileSync(path.join(mirror(), notPth.mirrorPath), path.join(badMirror, v2.mirrorPath));
      const unreadable = { ...v2, convert: { ...v2.convert!, sourceSha256: notPth.sha256, sourceBytes: notPth.bytes } };
      const [conversion] = await fetchPacks({ list: { schemaVersion: 1, packs: [unreadable] }, dir: out, mirror: badMirror, log: () => {} });
      expect(conversion).toMatchObject({ outcome: 'failed', failure: 'conversion' });
      expect(conversion!.error).toMatch(/with minifasnet-v2: .*not a legacy PyTorch file: expected it to start with the magic-number pickle 80 02 8a 0a/);

      // The right .pth, but packs.json pins another ONNX hash (the converter changed): refused.
      const [output] = await fetchPacks({ list: { schemaVersion: 1, packs: [{ ...v2, sha256: '0'.repeat(64) }] }, dir: out, mirror: mirror(), log: () => {} });
      expect(output).toMatchObject({ outcome: 'failed', failure: 'conversion' });
      expect(output!.error).toContain(`converted minifasnet-v2: expected sha256 ${'0'.repeat(64)} (${v2.bytes} bytes), got ${v2.sha256} (${v2.bytes} bytes)`);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('runs as `npm run models:fetch` (tsx scripts/fetch-models.ts) with --dir and --only', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-cli-'));
    try {
      const run = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/fetch-models.ts', `--dir=${out}`, '--only=yunet-n-320,minifasnet-v1se'], {
        cwd: repoRoot,
        env: { ...process.env, MODELS_MIRROR: mirror() },
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('packs: done (2 installed, 0 already present)');
      expect(readdirSync(out).sort()).toEqual(['minifasnet-v1se.onnx', 'yunet-n-320.onnx']);
      const unknown = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'tsx'), ['scripts/fetch-models.ts', `--dir=${out}`, '--only=nope'], {
        cwd: repoRoot,
        env: { ...process.env, MODELS_MIRROR: mirror() },
        encoding: 'utf8',
      });
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('unknown pack id(s) nope');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('installs into MODEL_PACKS_DIR (the variable the service reads) when --dir is absent; exits 1 on a failure without --soft', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-env-'));
    try {
      const run = spawnSync(tsx, ['scripts/fetch-models.ts', '--only=yunet-n-320'], { cwd: repoRoot, env: { ...process.env, MODELS_MIRROR: mirror(), MODEL_PACKS_DIR: out }, encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      expect(readdirSync(out)).toEqual(['yunet-n-320.onnx']);
      const offline = spawnSync(tsx, ['scripts/fetch-models.ts', `--dir=${out}`, '--default'], {
        cwd: repoRoot,
        env: { ...process.env, MODELS_MIRROR: `http://127.0.0.1:${await closedPort()}/models` },
        encoding: 'utf8',
      });
      expect(offline.status).toBe(1);
      expect(offline.stderr).toMatch(/packs: 3 failed:\n {2}minifasnet-v2: GET http:\/\/127\.0\.0\.1:\d+\/models\/antispoof\/minifasnet\/2\.7_80x80_MiniFASNetV2\.pth: .*ECONNREFUSED/);
      expect(readdirSync(out)).toEqual(['yunet-n-320.onnx']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the default install (postinstall: fetch-models.ts --default --soft)', () => {
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(tsx, ['scripts/fetch-models.ts', '--default', '--soft', ...args], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });

  it('with the source unreachable: prints ONE line saying what is missing, why, the effect and the fix; installs nothing; exits 0', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-soft-'));
    try {
      const result = run([`--dir=${out}`], { MODELS_MIRROR: `http://127.0.0.1:${await closedPort()}/models` });
      expect(result.status).toBe(0);
      const lines = printed(result);
      console.log(`soft mode, unreachable source:\n${lines.join('\n')}`);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^packs: model pack\(s\) minifasnet-v2, minifasnet-v1se, yunet-s-dynamic not installed: GET http:\/\/127\.0\.0\.1:\d+\/models\/antispoof\/minifasnet\/2\.7_80x80_MiniFASNetV2\.pth: .*ECONNREFUSED/);
      expect(lines[0]).toContain('the service will run without it (/health lists it as missing; liveness without the anti-spoofing pack uses the embedded models only, less accurate)');
      expect(lines[0]).toContain(
        'install it later with `npm run models:fetch`, or offline with `MODELS_MIRROR=<folder or http(s) URL> npm run models:fetch` (it reads antispoof/minifasnet/2.7_80x80_MiniFASNetV2.pth, antispoof/minifasnet/4_0_0_80x80_MiniFASNetV1SE.pth, detection/yunet/yunet_s_dynamic.onnx)',
      );
      expect(lines[0]).toContain('(minifasnet-v1se failed the same way; yunet-s-dynamic failed the same way)');
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('with a file whose sha256 is wrong: ONE line, nothing installed, exits 0', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-soft-sha-'));
    const wrong = 'e'.repeat(64);
    const listFile = writeList(list.packs.map((p) => (p.convert ? { ...p, convert: { ...p.convert, sourceSha256: wrong } } : p)));
    try {
      const result = run([`--dir=${out}`, `--list=${listFile}`], { MODELS_MIRROR: mirror() });
      expect(result.status).toBe(0);
      const lines = printed(result);
      console.log(`soft mode, sha256 mismatch:\n${lines.join('\n')}`);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`not installed: sha256 mismatch for ${path.join(mirror(), pack('minifasnet-v2').mirrorPath)}: expected ${wrong}`);
      expect(lines[0]).toContain('nothing was installed from the mismatching file');
      // The default pack whose file is as listed (the YuNet face counter) is installed all the same.
      expect(readdirSync(out)).toEqual(['yunet-s-dynamic.onnx']);
    } finally {
      rmSync(out, { recursive: true, force: true });
      rmSync(path.dirname(listFile), { recursive: true, force: true });
    }
  });

  it('with the mirror reachable: installs only the default packs, converted, and says so in one line', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'packs-soft-ok-'));
    try {
      const result = run([`--dir=${out}`], { MODELS_MIRROR: mirror() });
      expect(result.status, result.stderr).toBe(0);
      const lines = printed(result);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^packs: minifasnet-v2, minifasnet-v1se, yunet-s-dynamic ready in .* \(3 installed, 0 already present, [\d.]+ s\)$/);
      expect(installedPacks(out, list).map((s) => s.pack.id)).toEqual(['minifasnet-v2', 'minifasnet-v1se', 'yunet-s-dynamic']);
      expect(readdirSync(out).sort()).toEqual(['minifasnet-v1se.onnx', 'minifasnet-v2.onnx', 'yunet-s-dynamic.onnx']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('downloads (an injected fetch or a local HTTP server; never the internet)', () => {
  const v2 = () => pack('minifasnet-v2');
  const v2List = (): PackList => ({ schemaVersion: 1, packs: [v2()] });
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'packs-fetch-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('downloads the pinned upstream URL, checks it and converts it', async () => {
    const requested: string[] = [];
    const fakeFetch = (async (url: string | URL | Request) => {
      requested.push(String(url));
      return new Response(readFileSync(path.join(mirror(), v2().mirrorPath)));
    }) as typeof fetch;
    const [result] = await fetchPacks({ list: v2List(), dir: out, fetch: fakeFetch, log: () => {} });
    expect(result).toMatchObject({ outcome: 'installed', from: v2().url });
    expect(requested).toEqual([v2().url]);
    expect(sha256OfFile(path.join(out, 'minifasnet-v2.onnx'))).toBe(v2().sha256);
    rmSync(path.join(out, 'minifasnet-v2.onnx'));
  });

  it.each([
    ['a DNS failure', async () => Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND raw.githubusercontent.com'), { code: 'ENOTFOUND' }) })), /: getaddrinfo ENOTFOUND raw\.githubusercontent\.com$/],
    ['an HTTP error', async () => new Response('Not Found', { status: 404, statusText: 'Not Found' }), /: expected 200, got 404 Not Found$/],
    [
      'a server that never answers',
      (_url: unknown, init?: RequestInit) => new Promise<Response>((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason))),
      /: timed out after 0\.05 s$/,
    ],
  ])('fails cleanly on %s, leaving nothing behind', async (_name, impl, message) => {
    const [result] = await fetchPacks({ list: v2List(), dir: out, fetch: impl as unknown as typeof fetch, timeoutMs: 50, log: () => {} });
    expect(result).toMatchObject({ outcome: 'failed', failure: 'download' });
    expect(result!.error).toContain(`GET ${v2().url}`);
    expect(result!.error).toMatch(message);
    expect(readdirSync(out)).toEqual([]);
  });

  it('stops reading a download that grows past the listed size', async () => {
    const endless = (async () =>
      new Response(
        new ReadableStream({
          pull(controller) {
            controller.enqueue(new Uint8Array(1 << 20));
          },
        }),
      )) as unknown as typeof fetch;
    const [result] = await fetchPacks({ list: v2List(), dir: out, fetch: endless, log: () => {} });
    expect(result).toMatchObject({ outcome: 'failed', failure: 'integrity' });
    expect(result!.error).toMatch(new RegExp(`^size mismatch for ${v2().url.replace(/[.]/g, '\\.')}: expected 1849453 bytes, got more \\(2097152 so far\\)$`));
    expect(readdirSync(out)).toEqual([]);
  });

  it('MODELS_MIRROR may be an http(s) base URL serving the mirror tree', async () => {
    const server: Server = createServer((request, response) => {
      const file = path.join(mirror(), decodeURIComponent(new URL(request.url!, 'http://x').pathname).replace(/^\/models\//, ''));
      if (!request.url!.startsWith('/models/') || !existsSync(file)) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
      const [result] = await fetchPacks({ list: v2List(), dir: out, mirror: base, log: () => {} });
      expect(result).toMatchObject({ outcome: 'installed', from: `${base}${v2().mirrorPath}` });
      expect(sha256OfFile(path.join(out, 'minifasnet-v2.onnx'))).toBe(v2().sha256);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

/** dlib's face boxes (attributes/dlib_faces/{training,testing}.xml), per image file. */
function dlibBoxes(): Map<string, Box[]> {
  const xml = ['training.xml', 'testing.xml'].map((f) => readFileSync(sharedData(`attributes/dlib_faces/${f}`), 'utf8')).join('\n');
  const labels = new Map<string, Box[]>();
  for (const image of xml.matchAll(/<image file='([^']+)'[^>]*>([\s\S]*?)<\/image>/g)) {
    const boxes = [...image[2]!.matchAll(/<box top='(\d+)' left='(\d+)' width='(\d+)' height='(\d+)'/g)];
    labels.set(image[1]!, boxes.map((b) => ({ x: Number(b[2]), y: Number(b[1]), width: Number(b[3]), height: Number(b[4]) })));
  }
  return labels;
}

/** A detection matches a labelled face at IoU ≥ 0.3: dlib boxes are tight squares, YuNet boxes include forehead and chin. */
const MATCH_IOU = 0.3;

describe('YuNet packs on real images (OpenCV defaults: score ≥ 0.9, NMS IoU 0.3)', () => {
  const labels = dlibBoxes();

  it.each(['yunet-n-dynamic', 'yunet-n-640'])('%s finds the 43 labelled dlib faces (misses at most one, no unlabelled detections)', async (id) => {
    const detector = new YunetDetector(await session(id));
    let labelled = 0;
    let matched = 0;
    const report: string[] = [];
    for (const [file, boxes] of labels) {
      const faces = await detector.detect(await readRgb(sharedData(`attributes/dlib_faces/${file}`)));
      const found = boxes.filter((b) => faces.some((f) => iou(f.box, b) >= MATCH_IOU)).length;
      const unlabelled = faces.filter((f) => !boxes.some((b) => iou(f.box, b) >= MATCH_IOU)).length;
      report.push(`${file} ${faces.length}/${boxes.length}`);
      expect(unlabelled, `${file}: detections matching no labelled face`).toBe(0);
      labelled += boxes.length;
      matched += found;
    }
    console.log(`${id}: detected/labelled ${report.join(', ')}; recall ${matched}/${labelled}`);
    expect(labelled).toBe(43);
    expect(matched).toBeGreaterThanOrEqual(labelled - 1);
  });

  it.each(['yunet-n-320', 'yunet-n-640', 'yunet-n-dynamic', 'yunet-s-dynamic'])('%s: one face in single-person photos, none on dogs, several on bald_guys', async (id) => {
    const detector = new YunetDetector(await session(id));
    const counts: Record<string, number> = {};
    for (const rel of ['attributes/dlib_faces/Tom_Cruise_avp_2014_4.jpg', 'liveness/silent_face/live/image_T1.jpg', 'attributes/dlib_faces/dogs.jpg', 'attributes/dlib_faces/bald_guys.jpg']) {
      const image = await readRgb(sharedData(rel));
      const faces = await detector.detect(image);
      counts[path.basename(rel)] = faces.length;
      for (const f of faces) {
        expect(f.score).toBeGreaterThanOrEqual(0.9);
        expect(f.box.x + f.box.width).toBeLessThanOrEqual(image.width);
        expect(f.landmarks).toHaveLength(5);
      }
    }
    console.log(`${id}: ${JSON.stringify(counts)}`);
    expect(counts['Tom_Cruise_avp_2014_4.jpg']).toBe(1);
    expect(counts['image_T1.jpg']).toBe(1);
    expect(counts['dogs.jpg']).toBe(0);
    expect(counts['bald_guys.jpg']).toBeGreaterThan(10);
  });

  it('puts the 5 landmarks inside the face box in anatomical order (eyes above nose above mouth)', async () => {
    const detector = new YunetDetector(await session('yunet-n-dynamic'));
    const [face] = await detector.detect(await readRgb(sharedData('attributes/dlib_faces/Tom_Cruise_avp_2014_4.jpg')));
    const [rightEye, leftEye, nose, rightMouth, leftMouth] = face!.landmarks;
    for (const p of face!.landmarks) {
      expect(p.x).toBeGreaterThan(face!.box.x);
      expect(p.x).toBeLessThan(face!.box.x + face!.box.width);
    }
    expect(rightEye!.x).toBeLessThan(leftEye!.x); // subject's right eye is on the image's left
    expect(nose!.y).toBeGreaterThan(Math.max(rightEye!.y, leftEye!.y));
    expect(Math.min(rightMouth!.y, leftMouth!.y)).toBeGreaterThan(nose!.y);
  });
});

describe('MiniFASNet V2 (×2.7) + V1SE (×4.0), converted from the .pth, averaged, on Silent-Face samples (face box from YuNet)', () => {
  let detector: YunetDetector;
  let models: MiniFasnet[];
  let installed: string;
  beforeAll(async () => {
    detector = new YunetDetector(await session('yunet-n-dynamic'));
    installed = mkdtempSync(path.join(tmpdir(), 'packs-minifasnet-'));
    await fetchPacks({ list, dir: installed, mirror: mirror(), only: ['minifasnet-v2', 'minifasnet-v1se'], log: () => {} });
    models = await Promise.all(
      ['minifasnet-v2', 'minifasnet-v1se'].map(async (id) => new MiniFasnet(await ModelSession.create(id, path.join(installed, pack(id).file)), pack(id).faceCropScale!)),
    );
  });
  afterAll(() => rmSync(installed, { recursive: true, force: true }));

  it('refuses a session whose input is not a MiniFASNet input', async () => {
    const yunet = await session('yunet-n-320');
    expect(() => new MiniFasnet(yunet, 2.7)).toThrow(/model yunet-n-320: expected a MiniFASNet input \[batch, 3, 80, 80\], got input \[1, 3, 320, 320\]/);
  });

  it.each([
    ['liveness/silent_face/live/image_T1.jpg', 'real'],
    ['liveness/silent_face/spoof/image_F1.jpg', 'fake'],
    ['liveness/silent_face/spoof/image_F2.jpg', 'fake'],
  ])('%s is %s', async (rel, expected) => {
    // readRgb applies EXIF orientation 6 (these photos are stored rotated).
    const image = await readRgb(sharedData(rel));
    expect([image.width, image.height]).toEqual([480, 640]);
    const faces = await detector.detect(image);
    expect(faces).toHaveLength(1);
    const perModel = await Promise.all(models.map((m) => m.realProbability(image, faces[0]!.box)));
    const average = await averageRealProbability(models, image, faces[0]!.box);
    console.log(`${path.basename(rel)}: real probability V2 ${perModel[0]!.toFixed(4)}, V1SE ${perModel[1]!.toFixed(4)}, mean ${average.toFixed(4)}`);
    if (expected === 'real') expect(average).toBeGreaterThan(0.5);
    else expect(average).toBeLessThan(0.5);
  });
});

it('installedPacks defaults to the packs.json beside the folder', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'packs-root-'));
  try {
    writeFileSync(path.join(root, 'packs.json'), readFileSync(packsFile));
    expect(installedPacks(path.join(root, 'packs'))).toEqual([]);
    expect(existsSync(path.join(root, 'packs'))).toBe(false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

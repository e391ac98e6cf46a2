/**
 * The inference thread's side (started by src/inference/inference-thread.ts through inference-worker-entry.mjs):
 * holds the ModelSessions and answers create / run / release / close messages strictly one after another, in
 * arrival order. ORT's create and run are synchronous native calls, so nothing could overlap anyway; the queue
 * also makes sure a release or a close never comes between a run's start and its native call. The main thread
 * keeps serving meanwhile.
 *
 * `close` ends the thread from inside once everything sent before it is answered. The thread must not be
 * terminated from outside while a native call is running: the call completes, touches a dying environment, and
 * node-addon-api's C++ exception aborts the whole process ("terminate called after throwing an instance of
 * 'Napi::Error'", seen in CI when a test terminated the thread mid-run).
 */
import { parentPort } from 'node:worker_threads';
import { AppError } from '../errors.js';
import { ModelSession, type SessionOptions, type Tensor } from './session.js';
import type { ThreadReply, ThreadRequest, WireError } from './inference-thread.js';

if (!parentPort) throw new Error('inference-worker.ts must run as a worker thread (src/inference/inference-thread.ts)');
const port = parentPort;
const sessions = new Map<number, ModelSession>();
/** Sessions whose placement has been sent back already (it is read once, after the first run). */
const placementSent = new Set<number>();
let nextSessionId = 1;

const toWire = (error: unknown): WireError =>
  error instanceof AppError
    ? { code: error.code, message: error.message, ...(error.subject !== undefined ? { subject: error.subject } : {}) }
    : { code: 'INFERENCE_FAILED', message: error instanceof Error ? error.message : String(error) };

function session(id: number): ModelSession {
  const s = sessions.get(id);
  if (!s) throw new AppError('INFERENCE_FAILED', `inference thread: no session ${id} (released?)`);
  return s;
}

async function handle(request: ThreadRequest): Promise<{ reply: ThreadReply; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'create': {
      const created = await ModelSession.create(request.label, request.model, request.options as SessionOptions);
      const sessionId = nextSessionId++;
      sessions.set(sessionId, created);
      return { reply: { id: request.id, ok: true, sessionId, inputs: created.inputs, outputs: created.outputs }, transfer: [] };
    }
    case 'run': {
      const s = session(request.sessionId);
      const outputs = await s.run(request.feeds as Record<string, Tensor>, request.outputNames);
      const transfer = [...new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer))];
      const reply: ThreadReply = { id: request.id, ok: true, outputs };
      if (!placementSent.has(request.sessionId) && (s.placement || s.placementProblem)) {
        placementSent.add(request.sessionId);
        if (s.placement) reply.placement = s.placement;
        if (s.placementProblem) reply.placementProblem = s.placementProblem;
      }
      return { reply, transfer };
    }
    case 'release': {
      const s = sessions.get(request.sessionId);
      sessions.delete(request.sessionId);
      await s?.release();
      return { reply: { id: request.id, ok: true }, transfer: [] };
    }
    case 'close': {
      const left = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(left.map((s) => s.release()));
      return { reply: { id: request.id, ok: true }, transfer: [] };
    }
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: ThreadRequest) => {
  queue = queue
    .then(() => handle(request))
    .then(
      ({ reply, transfer }) => port.postMessage(reply, transfer),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: toWire(error) } satisfies ThreadReply),
    )
    .then(() => {
      // Replies already posted reach the main thread before its 'exit' event.
      if (request.op === 'close') process.exit(0);
    });
});
port.postMessage({ id: 0, ok: true, ready: true } satisfies ThreadReply);

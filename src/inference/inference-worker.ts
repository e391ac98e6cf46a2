/**
 * The inference thread's side (started by src/inference/inference-thread.ts through inference-worker-entry.mjs):
 * holds the ModelSessions and answers create / run / release messages one at a time, in arrival order. Runs
 * are synchronous inside ORT, so they never overlap here; the main thread keeps serving meanwhile.
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
  }
}

port.on('message', (request: ThreadRequest) => {
  handle(request).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (error: unknown) => port.postMessage({ id: request.id, ok: false, error: toWire(error) } satisfies ThreadReply),
  );
});
port.postMessage({ id: 0, ok: true, ready: true } satisfies ThreadReply);

/**
 * The hosted capture page (issue #7): the person opens the session's `capture_url` on their phone and takes the
 * selfie (and document photo), then records the video, in the browser, with no separate front-end server.
 *   GET  /capture/{id}?expires&signature               the page, the session's capture info embedded as JSON
 *   GET  /capture/assets/{capture.js|capture.css}      its static assets
 *   POST /capture/{id}/selfie-check?expires&signature  quick quality feedback on a selfie before it is uploaded
 * The page link is signed like the upload links (it dies with the session) and is the only credential the
 * device holds: it carries the signed upload links inside, never the app's key. The page itself is plain
 * HTML/CSS/JS in src/capture/page/ (no framework, no build step).
 */
import { readStaticAsset, serveStaticAsset, type StaticAsset } from '../static-asset.js';
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CONSENT_TEXT_VERSION, CONSENT_TEXTS, LIVE_CONSENT_TEXT_VERSION, LIVE_CONSENT_TEXTS } from '../../capture/consent.js';
import { AppError } from '../../errors.js';
import type { CheckLiveness, QualityCheck } from '../../pipeline/types.js';
import type { StoredChallenge } from '../../sessions/challenge-repository.js';
import { challengePromptsFor, promptsFor, type VideoLanguage } from '../../sessions/prompts.js';
import { effectiveStatus, type Session } from '../../sessions/session-state.js';
import type { ConcurrencyLimiter } from '../concurrency.js';
import type { ApiEnv } from '../context.js';
import { bodyLimit } from '../middleware/body-limit.js';
import type { RateLimiter } from '../middleware/rate-limit.js';
import { capturePageResource, captureUploadLink, liveLinks, liveRecordingLink, type SessionsDeps } from './sessions.js';
import { verilockErrorHandler } from '../verilock-route.js';

export interface CaptureDeps {
  /** The sessions API's repository, signer, apps and limits (the page's uploads go to its signed links). */
  sessions: SessionsDeps;
  /** The checkLiveness use case, for the selfie feedback. */
  checkLiveness: CheckLiveness;
  /** The process-wide inference slots the liveness API uses (a selfie check is one inference run). */
  concurrency: Pick<ConcurrencyLimiter, 'run'>;
  /** Counts selfie checks per session (SELFIE_CHECKS_PER_MINUTE). */
  rateLimiter: RateLimiter;
}

/**
 * The checks behind the page's "retake" advice: the problems a person can fix on the spot (light, eyes,
 * someone else in the frame, looking away). The video step later judges liveness itself.
 */
export const SELFIE_QUALITY_CHECKS: readonly QualityCheck[] = ['dull', 'eyesClosed', 'multipleFaces', 'headTurned'];

/** What a person should do about each failed check (the page shows these; ids are stable for its translations). */
const SELFIE_ADVICE: Record<string, string> = {
  noFace: 'No face found. Hold the phone at eye level and fit your face inside the oval.',
  dull: 'The photo is too dark. Face a window or a lamp.',
  eyesClosed: 'Your eyes look closed. Keep them open and look at the camera.',
  multipleFaces: 'More than one face is visible. Make sure you are alone in the picture.',
  headTurned: 'Your head is turned. Look straight at the camera.',
};

/**
 * A leaked page link must not become free inference: each session gets this many selfie checks per minute
 * (a person retaking a photo needs a handful).
 */
const SELFIE_CHECKS_PER_MINUTE = 20;

/** The page and its assets, read once at start-up (they are part of the source tree, like the prompts). */
const PAGE_DIR = new URL('../../capture/page/', import.meta.url);
const loadAsset = (name: string, type: string): StaticAsset => readStaticAsset(new URL(name, PAGE_DIR), type);

/**
 * The page may only load its own script and style and talk to its own origin; media comes from the camera
 * (blob: URLs for the preview of the recording). `frame-ancestors 'none'`: nobody may frame the page to trick a
 * person into recording (clickjacking; CSP Level 3 §6.4.2).
 */
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export type CapturePageState = 'ready' | 'invalid_link' | 'not_found' | 'expired' | 'completed';

/**
 * The session's active liveness challenge as the page runs it (issue #14): its id (sent back with the video), how long
 * to record, and each step's window with its prompt in the session's language; `leadIn` and `tail` are what the page
 * says before the first window and after the last.
 */
export function captureChallenge(challenge: Pick<StoredChallenge, 'id' | 'steps' | 'recordingSeconds'>, language: VideoLanguage) {
  const texts = challengePromptsFor(language);
  return {
    id: challenge.id,
    recordingSeconds: challenge.recordingSeconds,
    steps: challenge.steps.map((step) => ({ action: step.action, windowSeconds: step.windowSeconds, text: texts[step.action] })),
    leadIn: texts.leadIn,
    tail: texts.tail,
  };
}

/** A live call's recording link (liveRecordingLink): its URL and when it expires, ms since the epoch. */
type RecordingLink = NonNullable<ReturnType<typeof liveRecordingLink>>;

/**
 * The JSON the page reads from `<script id="capture-config">`. `challenge`: the session's unused challenge, which the
 * page shows step by step while it records; null when the session has none (the fixed `prompts` are shown instead).
 * `recording`: the recording link of a completed live session whose recording has not arrived; the page then gets
 * only its session id and `pendingRecording`, and sends the recording it kept (IndexedDB) through that link.
 */
export function capturePageConfig(
  session: Session | undefined,
  state: CapturePageState,
  links: { uploads: Record<string, string>; selfieCheck: string; live?: ReturnType<typeof liveLinks> & { ice_servers: unknown } } | undefined,
  challenge?: Pick<StoredChallenge, 'id' | 'steps' | 'recordingSeconds' | 'usedAt'>,
  recording?: RecordingLink,
) {
  const language = (session?.videoLanguage ?? 'en') as VideoLanguage;
  if (session && state === 'completed' && recording) {
    return { state, language, sessionId: session.id, pendingRecording: { upload_url: recording.url, expires_at: new Date(recording.expiresAt).toISOString() } };
  }
  if (!session || state !== 'ready' || !links) return { state, language };
  return {
    state,
    sessionId: session.id,
    language,
    steps: session.steps,
    uploaded: Object.fromEntries(session.steps.map((step) => [step, session.media[step] !== undefined])),
    videoMaxDuration: session.videoMaxDuration,
    prompts: promptsFor(language),
    challenge: challenge && challenge.usedAt === null ? captureChallenge(challenge, language) : null,
    // A live call with an agent is agreed to in its own words (README "Live agent mode").
    consent: session.videoMode === 'live_agent' ? { version: LIVE_CONSENT_TEXT_VERSION, ...LIVE_CONSENT_TEXTS[language] } : { version: CONSENT_TEXT_VERSION, ...CONSENT_TEXTS[language] },
    uploads: links.uploads,
    selfieCheckUrl: links.selfieCheck,
    redirectUrl: session.redirectUrl,
    expiresAt: new Date(session.expiresAt).toISOString(),
    videoMode: session.videoMode,
    // Live agent mode: the person's signed join / events / signal / leave links and the ICE servers (live_agent only).
    ...(links.live ? { live: links.live } : {}),
  };
}

/**
 * Characters a JSON text must not carry raw inside `<script type="application/json">`, as JSON `\uXXXX` escapes
 * (JSON.parse reads them back unchanged). `<` is the one that matters for HTML: with it gone, no `</script>`,
 * `<!--` or `<script` can end the element or switch the tokenizer into its escaped states (HTML Living Standard
 * §4.12.1.3 "Restrictions for contents of script elements"). `>` and `&` follow the same rule as Rails'
 * `ERB::Util.json_escape`; U+2028 / U+2029 are line terminators to JavaScript engines before ES2019, so the text
 * stays valid even if it is ever inlined as a script literal.
 */
const HTML_UNSAFE_IN_JSON = /[<>&\u2028\u2029]/g;
const jsonEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Embeds JSON in an HTML data block, escaped as above (a replacer function: no `$` patterns are involved). */
export const jsonForHtml = (value: unknown) => JSON.stringify(value).replace(HTML_UNSAFE_IN_JSON, jsonEscape);

/**
 * Fills the page template's `__NAME__` placeholders in one pass with a replacer function. Not
 * `template.replace('__X__', value)`: a replacement *string* is scanned for `$&`, `` $` ``, `$'`, `$$`, `$n` and
 * `$<name>` (ECMA-262 GetSubstitution), so a `redirect_url` holding `$'` pasted the rest of the template into
 * the config JSON (issue #13). One pass also means an inserted value is never scanned for further placeholders.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/__([A-Z_]+?)__/g, (placeholder: string, name: string) => values[name] ?? placeholder);
}

export function captureRoute(deps: CaptureDeps): Hono<ApiEnv> {
  const route = new Hono<ApiEnv>();
  const signer = deps.sessions.signer;
  const now = deps.sessions.now ?? Date.now;
  const base = (c: Context) => deps.sessions.publicBaseUrl ?? new URL(c.req.url).origin;
  const template = readFileSync(new URL('index.html', PAGE_DIR), 'utf8');
  const assets: Record<string, StaticAsset> = {
    'capture.js': loadAsset('capture.js', 'text/javascript; charset=utf-8'),
    'capture.css': loadAsset('capture.css', 'text/css; charset=utf-8'),
  };

  // Revalidated after 5 minutes (static-asset.ts): a redeploy reaches phones quickly without versioned names.
  route.get('/capture/assets/:file{capture\\.js|capture\\.css}', function captureAsset(c) {
    return serveStaticAsset(c, assets[c.req.param('file')]!);
  });

  /** The recording link of a live session decided on a call whose recording has not arrived yet (while it may). */
  const pendingRecording = (c: Context, session: Session) =>
    deps.sessions.live ? liveRecordingLink(base(c), signer, session, deps.sessions.live.recordingUploadMs, now()) : undefined;

  /** Resolves the page link: the session when valid, else why not; a completed page also gets its pending recording link. */
  const pageAccess = async (c: Context): Promise<{ state: CapturePageState; session?: Session; recording?: RecordingLink }> => {
    const id = c.req.param('id')!;
    const check = signer.check(capturePageResource(id), c.req.query('expires'), c.req.query('signature'));
    const session = check === 'invalid' ? undefined : await deps.sessions.sessions.get(id);
    if (check === 'invalid') return { state: 'invalid_link' };
    if (!session) return { state: 'not_found' };
    if (check === 'expired') {
      // A page reloaded after the agent's decision may still send the call's recording, even past the session's expiry
      // (LIVE_RECORDING_UPLOAD_SECONDS): it is told the recording link, and nothing else of the session.
      const recording = pendingRecording(c, session);
      return recording ? { state: 'completed', session, recording } : { state: 'expired', session };
    }
    const status = effectiveStatus(session, now());
    if (status === 'expired') return { state: 'expired', session };
    if (status === 'completed' || session.media.video !== undefined) return { state: 'completed', session, recording: pendingRecording(c, session) };
    return { state: 'ready', session };
  };

  route.get('/capture/:id', async function capturePage(c) {
    const { state, session, recording } = await pageAccess(c);
    const links =
      session && state === 'ready'
        ? {
            uploads: Object.fromEntries(session.steps.map((step) => [step, captureUploadLink(base(c), signer, session, step)])),
            selfieCheck: `${base(c)}/capture/${session.id}/selfie-check?expires=${c.req.query('expires')}&signature=${c.req.query('signature')}`,
            ...(session.videoMode === 'live_agent' && deps.sessions.live
              ? { live: { ...liveLinks(base(c), signer, session), ice_servers: deps.sessions.live.iceServers } }
              : {}),
          }
        : undefined;
    const challenge = session && state === 'ready' ? await deps.sessions.challenges?.forSession(session.id) : undefined;
    const config = capturePageConfig(session, state, links, challenge, recording);
    // `language` is one of the five video_language codes the sessions contract accepts (safe in an attribute).
    const html = fillTemplate(template, { LANG: config.language, CAPTURE_CONFIG: jsonForHtml(config) });
    c.header('Content-Type', 'text/html; charset=utf-8');
    // The URL and the page carry signed links: keep them out of caches and out of Referer headers (RFC 9111 §5.2.2.3).
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', PAGE_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    // Camera and microphone for this page only (Permissions Policy).
    c.header('Permissions-Policy', 'camera=(self), microphone=(self), geolocation=()');
    const status: ContentfulStatusCode = state === 'ready' || state === 'completed' ? 200 : state === 'not_found' ? 404 : state === 'expired' ? 410 : 403;
    return c.body(html, status);
  });

  route.post('/capture/:id/selfie-check', bodyLimit(deps.sessions.limits.imageBytes), async function selfieCheck(c) {
    const { state, session } = await pageAccess(c);
    if (state !== 'ready' || !session) {
      const status = state === 'not_found' ? 404 : state === 'invalid_link' ? 403 : 409;
      return c.json({ error: state, message: `this capture link cannot take a selfie (${state.replace('_', ' ')})`, details: null }, status);
    }
    if (deps.rateLimiter.take(`capture:${session.id}`, SELFIE_CHECKS_PER_MINUTE) > 0) {
      c.header('Retry-After', '60');
      return c.json({ error: 'rate_limit_exceeded', message: `at most ${SELFIE_CHECKS_PER_MINUTE} selfie checks per minute`, details: null }, 429);
    }
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) return c.json({ error: 'validation_error', message: 'send the selfie (JPEG/PNG) as the request body', details: null }, 422);
    try {
      const outcome = await deps.concurrency.run(() =>
        deps.checkLiveness(bytes, { qualityChecks: SELFIE_QUALITY_CHECKS, ageRange: false, gender: false, croppedImage: false }),
      );
      const issues = SELFIE_QUALITY_CHECKS.filter((check) => outcome.qualityChecks[check]?.value === true).map((check) => ({ check, message: SELFIE_ADVICE[check]! }));
      return c.json({ ok: issues.length === 0, issues }, 200);
    } catch (error) {
      // No face is the commonest retake reason: an answer for the person, not an error for the page.
      if (error instanceof AppError && error.code === 'NO_FACE_DETECTED') return c.json({ ok: false, issues: [{ check: 'noFace', message: SELFIE_ADVICE.noFace! }] }, 200);
      throw error;
    }
  });

  route.onError(verilockErrorHandler('capture page'));

  return route;
}

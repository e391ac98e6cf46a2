/**
 * Issue #13, defect 3: a `redirect_url` is user data spliced into the capture page's HTML. Every sequence that
 * means something to `String.prototype.replace` (`$'`, `` $` ``, `$&`, `$$`, `$1`, `$<name>`), to the HTML
 * tokenizer inside a script element (`</script>`, `<!--`, `<script`) or to old JavaScript engines (U+2028,
 * U+2029) must come back out of the served page's embedded config byte for byte, and must never end the
 * config's script element. Through app.request(), like test/api/capture.contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fillTemplate, jsonForHtml } from '../../src/http/routes/capture.js';
import type { CheckLiveness } from '../../src/pipeline/types.js';
import { captureApp } from '../helpers/capture-app.js';
import { closeAfterEach } from '../helpers/contract.js';

const T0 = 1_773_828_000_000; // 2026-03-18T10:00:00Z
const BASE = 'http://svc.test';
/** The page is served without running a selfie check: this use case must never be called. */
const unused: CheckLiveness = async () => {
  throw new Error('checkLiveness is not part of these tests');
};

const closeLater = closeAfterEach();

function harness() {
  const built = captureApp(unused, T0);
  closeLater(built.close);
  return built.app;
}

/** Creates a session with this redirect_url; answers its capture_url and the redirect_url the API stored. */
async function createSession(app: ReturnType<typeof harness>, redirectUrl: string) {
  const res = await app.request(`${BASE}/v1/sessions`, {
    method: 'POST',
    body: JSON.stringify({ profile: { steps: ['selfie', 'video'], video_language: 'de' }, redirect_url: redirectUrl }),
    headers: { Authorization: 'Bearer kyc-key', 'Content-Type': 'application/json' },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; capture_url: string; redirect_url: string };
}

/** The text between the config script's start tag and the first `</script>` after it: where a browser ends it. */
function configElementText(html: string): string {
  const start = '<script id="capture-config" type="application/json">';
  const from = html.indexOf(start);
  expect(from).toBeGreaterThan(0);
  const to = html.indexOf('</script>', from + start.length);
  return html.slice(from + start.length, to);
}

const ORIGIN = 'https://app.example/done';
/** Each sequence in a query value, a path segment and a fragment, where a real callback URL would carry it. */
const HOSTILE: Record<string, string> = {
  "$' (text after the match)": `${ORIGIN}?next=$'&state=1`,
  '$` (text before the match)': `${ORIGIN}?next=$\`&state=1`,
  '$& (the match itself)': `${ORIGIN}/$&/x`,
  '$$ (a single $)': `${ORIGIN}?price=$$100`,
  '$1 (a capture group)': `${ORIGIN}?a=$1&b=$2`,
  '$<name> (a named group)': `${ORIGIN}?a=$<name>`,
  'every $ sequence at once': `${ORIGIN}?q=$'$\`$&$$$1$<x>#$'`,
  '</script> (ends the element)': `${ORIGIN}?x=</script><script>alert(1)</script>`,
  '<!-- (script data escaped state)': `${ORIGIN}?x=<!--<script>`,
  'U+2028 and U+2029 (line terminators)': `${ORIGIN}?x=a\u2028b\u2029c`,
  'a placeholder name (__LANG__, __CAPTURE_CONFIG__)': `${ORIGIN}?x=__LANG__&y=__CAPTURE_CONFIG__`,
};

describe('the capture page keeps a hostile redirect_url intact (issue #13)', () => {
  it.each(Object.entries(HOSTILE))('%s', async (_name, redirectUrl) => {
    const app = harness();
    const session = await createSession(app, redirectUrl);
    expect(session.redirect_url).toBe(redirectUrl);
    const res = await app.request(session.capture_url);
    expect(res.status).toBe(200);
    const html = await res.text();

    // The browser's view: the element ends at the first `</script>`, and its text must be the whole config.
    const text = configElementText(html);
    const config = JSON.parse(text) as Record<string, unknown>;
    expect(config.redirectUrl).toBe(redirectUrl);
    expect(config).toMatchObject({ state: 'ready', sessionId: session.id, language: 'de' });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);

    // The rest of the page is the template's: one config element, one script tag, the language attribute.
    expect(html).toContain('<html lang="de">');
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html.replace(text, () => '')).not.toMatch(/__[A-Z_]+__/);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });
});

describe('fillTemplate and jsonForHtml', () => {
  it('fills each placeholder once, literally, without rescanning inserted text; unknown names stay', () => {
    expect(fillTemplate('<a x="__A__">__B__</a>__C__', { A: "$'$`$&$$", B: '__A__' })).toBe('<a x="$\'$`$&$$">__A__</a>__C__');
  });
  it('escapes < > & U+2028 U+2029 as JSON \\u escapes that JSON.parse reads back', () => {
    const value = { s: '</script><!--&>\u2028\u2029$\'' };
    const json = jsonForHtml(value);
    expect(json).toBe('{"s":"\\u003c/script\\u003e\\u003c!--\\u0026\\u003e\\u2028\\u2029$\'"}');
    expect(JSON.parse(json)).toEqual(value);
  });
});

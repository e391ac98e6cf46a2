import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from './logger.js';

function capture(level: Parameters<typeof createLogger>[0]['logLevel'] = 'info') {
  const lines: string[] = [];
  return { log: createLogger({ logLevel: level }, { write: (l: string) => void lines.push(l) }), lines };
}

describe('createLogger', () => {
  it('writes one JSON line per event with an ISO time and the level by name', () => {
    const { log, lines } = capture();
    log.info({ route: '/v1/checkLiveness' }, 'request');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', msg: 'request', route: '/v1/checkLiveness' });
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('censors credential fields at the top level and one level down, whatever logs them', () => {
    const { log, lines } = capture();
    log.info({ appKey: 'k1', secretKey: 'k2', signature: 'k3', token: 'k4', req: { headers: { authorization: 'Bearer k5', appkey: 'k6' } }, app: { appKey: 'k7', webhookSecret: 'k8' } }, 'x');
    const text = lines.join('');
    for (const secret of ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8']) expect(text).not.toContain(`"${secret}"`);
    expect(text).not.toContain('Bearer');
    expect(JSON.parse(lines[0]!)).toMatchObject({ appKey: REDACTED, app: { appKey: REDACTED, webhookSecret: REDACTED }, req: { headers: { authorization: REDACTED } } });
  });

  it('drops what is below LOG_LEVEL', () => {
    const { log, lines } = capture('warn');
    log.info('not shown');
    log.warn('shown');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });
});

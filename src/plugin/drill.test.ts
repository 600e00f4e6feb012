import { describe, expect, it } from 'vitest';
import { drillReport } from './drill.ts';

describe('drillReport', () => {
  it('prints each step with its seconds and the revocation time of a proven drill', () => {
    const text = drillReport({
      ok: true,
      revocationSeconds: 0.734,
      steps: [
        { name: 'create', ms: 41 },
        { name: 'revoked', ms: 734 },
      ],
    });
    expect(text).toBe(
      'STEP          SECONDS\n' +
        '  create          0.04 s\n' +
        '  revoked         0.73 s\n' +
        'Revocation proven: access denied 0.73 s after the deactivation.\n',
    );
  });

  it('says why a drill failed', () => {
    expect(drillReport({ ok: false, reason: 'RoleNotAllowed: view', steps: [] })).toBe(
      'STEP          SECONDS\nDrill FAILED: RoleNotAllowed: view\n',
    );
  });
});

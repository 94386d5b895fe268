/**
 * The console's quality bar that needs no browser (issue 17): the JavaScript shipped to the
 * browser stays within 150 KB gzipped, every script and stylesheet a console page links is one
 * of the console's own files (no CDN), and the pages' Content-Security-Policy allows no inline
 * or third-party script.
 */
import { gzipSync } from 'node:zlib';
import { loadConsoleAssets } from '../../src/api/console/assets';
import { continuePage, refusedPage, signedOutPage, signInPage } from '../../src/api/console/auth/pages';
import { CONSOLE_PAGE_CSP, consolePage } from '../../src/api/console/layout';

const BUDGET_BYTES = 150 * 1024;

describe('console assets', () => {
  const assets = loadConsoleAssets();

  it('ships at most 150 KB of JavaScript, gzipped, in all', () => {
    const scripts = [...assets.values()].filter((a) => a.name.endsWith('.js'));
    expect(scripts.map((s) => s.name)).toContain('console.js');
    const gzipped = scripts.reduce((sum, s) => sum + gzipSync(s.body, { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('links only its own files from the page shell, with their content hash', () => {
    const html = consolePage({
      title: 'Budget',
      viewer: { id: 'omar', name: 'Omar Haddad', roles: ['ot-engineer'], csrfToken: 'token' },
      body: '<p>x</p>',
    });
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    const resources = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(resources.length).toBeGreaterThanOrEqual(2);
    for (const url of resources) {
      const match = /^\/console\/assets\/([\w.-]+)\?v=([0-9a-f]{16})$/.exec(url);
      expect(match).not.toBeNull();
      expect(assets.get(match?.[1] ?? '')?.hash).toBe(match?.[2]);
    }
    // No absolute URL anywhere in the shell: nothing is loaded from, or linked to, another site.
    expect(urls.filter((u) => /^(?:https?:)?\/\//.test(u))).toEqual([]);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle="/);
  });

  it("allows scripts from the console's origin only, never inline, and is never framed", () => {
    const directives = new Map(
      CONSOLE_PAGE_CSP.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONSOLE_PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('renders the sign-in pages in the same shell: its stylesheet, no script, no inline style', () => {
    const pages = [
      signInPage({ oidc: true, next: '/console/approvals' }),
      signInPage({ oidc: false, error: 'That API key does not belong to any operator.' }),
      refusedPage('Sign-in refused', 'the identity provider refused (aud)'),
      continuePage('/console/incidents'),
      signedOutPage(),
    ];
    for (const html of pages) {
      const resources = [...html.matchAll(/<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(resources).toEqual([`/console/assets/console.css?v=${assets.get('console.css')?.hash ?? ''}`]);
      expect(html).toContain('<header class="top">');
      expect(html).not.toMatch(/<script|<style|\sstyle="/);
    }
  });
});

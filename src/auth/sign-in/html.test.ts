import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html } from './html.ts';

describe('html template', () => {
  it('escapes markup, quotes and backticks in interpolated strings', () => {
    const evil = `<script>alert("x")</script>' \` &amp;`;
    const out = html`<p title="${evil}">${evil}</p>`.__html;
    assert.ok(!out.includes('<script>'));
    assert.equal(
      out,
      `<p title="${escapeHtml(evil)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &#96; &amp;amp;</p>`,
    );
  });

  it('escapes every element of an array of strings', () => {
    assert.equal(html`${['<a>', '<b>']}`.__html, '&lt;a&gt;&lt;b&gt;');
  });

  it('does not escape nested templates twice', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(html`<p>${inner}</p>`.__html, '<p><b>&lt;i&gt;</b></p>');
  });

  it('renders nothing for null, undefined and false', () => {
    assert.equal(html`[${null}${undefined}${false}]`.__html, '[]');
  });

  it('does not treat a plain object with a look-alike string as safe unless it is SafeHtml', () => {
    assert.equal(html`${'{"__html":"<x>"}'}`.__html, '{&quot;__html&quot;:&quot;&lt;x&gt;&quot;}');
  });
});

"""The app's CSS and the one piece of JavaScript: a click on ``[n]`` (in an answer) or on a
source's heading (in the evidence panel) shows that source's passage and highlights it."""

CSS = """
#rla-note { font-size: .92em; border-left: 3px solid var(--color-accent);
  padding: .1em .8em; color: var(--body-text-color-subdued); }
#rla-note p { margin: 0; }
#rla-evidence .rla-evidence { max-height: 74vh; overflow-y: auto; padding-right: .4em; }
.rla-page { margin: .5em 0; }
.rla-page-img { width: 100%; height: auto; border: 1px solid var(--border-color-primary);
  border-radius: 4px; background: #fff; cursor: zoom-in; }
.rla-page figcaption { font-size: .82em; color: var(--body-text-color-subdued); }
.rla-next-page summary { cursor: pointer; font-size: .88em; margin: .3em 0; }
.rla-evidence-empty { color: var(--body-text-color-subdued); font-size: .95em; }
.rla-turn-q { font-weight: 600; margin-bottom: .2em; }
.rla-searched, .rla-earlier { font-size: .85em; color: var(--body-text-color-subdued); }
.rla-turn > .rla-source:first-of-type, .rla-nogrounds { margin-top: .6em; }
.rla-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: .6em .8em; margin: 0 0 .8em; background: var(--block-background-fill);
  scroll-margin: 1em; }
.rla-source { text-align: left; }
.rla-source.rla-active { border-color: var(--color-accent);
  box-shadow: 0 0 0 2px var(--color-accent-soft); }
.rla-flash { animation: rla-flash 1.8s ease-out; }
@keyframes rla-flash { 0% { background: #fff1a8; } 100% { background: transparent; } }
.rla-source-head { display: flex; gap: .5em; align-items: baseline; color: inherit;
  text-decoration: none; font-weight: 600; cursor: pointer; text-align: left; }
.rla-badges { display: inline-flex; gap: .2em; flex: none; }
.rla-badge { display: inline-block; min-width: 1.7em; padding: 0 .35em; border-radius: 999px;
  background: var(--color-accent); color: #fff; text-align: center; font-size: .85em; }
.rla-meta { font-size: .85em; color: var(--body-text-color); opacity: .8; margin: .25em 0 .45em; }
.rla-file { font-family: var(--font-mono); font-size: .95em; }
.rla-open { white-space: nowrap; }
.rla-passage { margin: 0; padding: .3em .7em; border-left: 3px solid var(--border-color-primary);
  font-size: .92em; line-height: 1.5; white-space: pre-wrap; }
mark.rla-quote { background: #ffe27a; color: #1f2328; padding: 0 .1em; border-radius: 2px;
  scroll-margin: 2em; }
mark.rla-quote.rla-flash { animation: rla-mark 1.8s ease-out; }
@keyframes rla-mark { 0% { background: #ff9f1c; } 100% { background: #ffe27a; } }
.rla-sup { font-size: .75em; font-weight: 600; color: var(--color-accent); margin-left: .1em; }
.rla-also { font-size: .82em; color: var(--body-text-color-subdued); margin-top: .4em; }
.rla-nogrounds { border: 1px dashed #c2410c; background: #fff7ed; color: #7c2d12;
  border-radius: 8px; padding: .7em .9em; }
.rla-nogrounds p { margin: .5em 0 .2em; }
a.rla-cite { font-weight: 600; text-decoration: none; cursor: pointer; padding: 0 .05em; }
.rla-ungrounded { border-left: 4px solid #c2410c; padding-left: .7em; font-style: italic; }
.message:has(.rla-ungrounded) { background: #fff7ed !important; border-color: #fdba74 !important; }
.dark .message:has(.rla-ungrounded) { background: #431407 !important; }
.rla-upload-report { list-style: none; padding: 0; }
.rla-upload-report li { padding: .25em 0; }
.rla-upload-report .rla-error { color: #b91c1c; }
.rla-upload-report .rla-ok { color: #15803d; }
.rla-upload-name { font-family: var(--font-mono); margin-right: .4em;
  color: var(--body-text-color); }
"""

JS = """
() => {
  if (window.__rlaSources) return;
  window.__rlaSources = true;
  const flash = (el) => {
    el.classList.remove('rla-flash');
    void el.offsetWidth;  // restart the animation
    el.classList.add('rla-flash');
  };
  const show = (id) => {
    const target = document.getElementById(id);
    const card = target && target.closest('.rla-source');
    if (!card) return;
    const section = card.closest('.rla-turn');
    if (section) {
      document.querySelectorAll('.rla-turn').forEach((s) => { s.hidden = s !== section; });
    }
    document.querySelectorAll('.rla-source.rla-active')
      .forEach((el) => el.classList.remove('rla-active'));
    card.classList.add('rla-active');
    flash(card);
    flash(target);
    target.scrollIntoView({behavior: 'smooth', block: 'center'});
  };
  document.addEventListener('click', (ev) => {
    const link = ev.target.closest && ev.target.closest('a.rla-cite, a.rla-source-head');
    if (!link) return;
    const m = /#(rla-src-\\d+-\\d+)$/.exec(link.getAttribute('href') || '');
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    show(m[1]);
  }, true);
}
"""

import { css } from 'lit';

/**
 * The look of rendered Markdown inside a message bubble (`.md`) and of highlight.js's classes. Long lines wrap in
 * prose and scroll inside code blocks, so no message widens the timeline at phone width.
 */
export const markdownStyles = css`
  .md { overflow-wrap: anywhere; word-break: break-word; min-width: 0; }
  .md > :first-child { margin-top: 0; }
  .md > :last-child { margin-bottom: 0; }
  .md p { margin: 0 0 0.4rem; }
  .md .mention { color: #1d4ed8; background: rgba(37, 99, 235, 0.12); border-radius: 4px; padding: 0 0.15em; font-weight: 600; }
  .md .mention.me { color: #7c2d12; background: #fde68a; }
  .md a { color: #1d4ed8; text-decoration: underline; }
  .md code {
    font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, 'Liberation Mono', monospace; font-size: 0.86em;
    background: rgba(15, 23, 42, 0.07); border: 1px solid rgba(15, 23, 42, 0.1); border-radius: 5px; padding: 0 0.25em;
  }
  .md pre {
    margin: 0.35rem 0; padding: 0.5rem 0.65rem; border-radius: 8px; background: #0f172a; color: #e2e8f0;
    overflow-x: auto; max-width: 100%; white-space: pre; word-break: normal; overflow-wrap: normal; line-height: 1.4;
  }
  .md pre code { background: none; border: none; padding: 0; font-size: 0.84rem; color: inherit; }
  .md blockquote {
    margin: 0.3rem 0; padding: 0.05rem 0 0.05rem 0.6rem; border-left: 3px solid rgba(15, 23, 42, 0.25); color: #334155;
  }
  /* Deep nesting (up to markdown-it's limit) stops indenting, so it cannot squeeze the text to nothing. */
  .md blockquote blockquote blockquote blockquote { padding-left: 0.15rem; border-left-width: 1px; }
  .md ul, .md ol { margin: 0.2rem 0 0.4rem; padding-left: 1.4rem; }
  .md li + li { margin-top: 0.1rem; }
  .md ul ul ul ul, .md ol ol ol ol { padding-left: 0.5rem; }

  .hljs-comment, .hljs-quote { color: #94a3b8; font-style: italic; }
  .hljs-keyword, .hljs-selector-tag, .hljs-meta .hljs-keyword, .hljs-doctag { color: #c4b5fd; }
  .hljs-string, .hljs-regexp, .hljs-addition, .hljs-attribute, .hljs-meta .hljs-string { color: #86efac; }
  .hljs-number, .hljs-literal, .hljs-symbol, .hljs-bullet, .hljs-variable.constant_ { color: #fdba74; }
  .hljs-title, .hljs-section, .hljs-title.function_, .hljs-title.class_ { color: #7dd3fc; }
  .hljs-built_in, .hljs-type, .hljs-params, .hljs-property { color: #f9a8d4; }
  .hljs-attr, .hljs-name, .hljs-tag, .hljs-selector-class, .hljs-selector-id, .hljs-template-variable { color: #fcd34d; }
  .hljs-deletion { color: #fca5a5; }
  .hljs-meta { color: #a5b4fc; }
  .hljs-emphasis { font-style: italic; }
  .hljs-strong { font-weight: 700; }
`;

/** The webview side of the message channel, typed by the panel's protocol. */
interface VsCodeApi<Out> {
  postMessage(message: Out): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi<Out>(): VsCodeApi<Out>;

export function connect<In, Out>(onMessage: (message: In) => void): VsCodeApi<Out> {
  const api = acquireVsCodeApi<Out>();
  window.addEventListener('message', (event: MessageEvent<In>) => onMessage(event.data));
  return api;
}

/** Create an element with text content only (never HTML from data). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  node.append(...children);
  return node;
}

/**
 * The nonce of this bundle's script tag, read while the bundle runs: the CSP admits styles with
 * it only. (The webview host adds scripts of its own, so "the first script" is not ours.)
 */
const NONCE = (document.currentScript instanceof HTMLScriptElement ? document.currentScript.nonce : undefined) ?? '';

/** Add a style sheet the CSP accepts. */
export function addStyle(css: string): void {
  const style = document.createElement('style');
  style.nonce = NONCE;
  style.textContent = css;
  document.head.append(style);
}

/** Terminal rendering of log lines and markers (ANSI), as plain functions. */
import type { LogMarker } from '../../core/engine/logFollower';
import type { LogLine } from '../../core/engine/logs';

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const STDERR_GUTTER = '\x1b[91m▌\x1b[0m';
/**
 * Every marker line starts with this glyph, which log text can never show (it is escaped there), so
 * a container cannot print a line that passes for one of Berth's markers.
 */
export const MARKER_GLYPH = '▐';
/** Service-name colours for interleaved logs: bright cyan, magenta, green, yellow, blue, red. */
const PREFIX_COLOURS = ['\x1b[96m', '\x1b[95m', '\x1b[92m', '\x1b[93m', '\x1b[94m', '\x1b[91m'];

export function prefixColour(index: number): string {
  return PREFIX_COLOURS[index % PREFIX_COLOURS.length] ?? '';
}

/** Anything that needs rewriting: C0 controls but tab, DEL, C1 controls, and the marker glyph. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f▐]/;
/** Select Graphic Rendition (colours, bold, underline…): the one control sequence kept. */
// eslint-disable-next-line no-control-regex -- SGR starts with ESC
const SGR = /\x1b\[[0-9;:]*m/y;

/**
 * Log text made safe for the terminal: colours (SGR, `ESC [ … m`) are kept; every other control
 * is shown instead of obeyed, so nothing is lost and nothing moves the cursor, clears the screen,
 * sets the title, makes a link or overwrites the line. C0 controls (but tab) and DEL show in caret
 * notation, all ASCII so any font shows them: ESC as ^[ (so `ESC [2J` reads `^[[2J`, an OSC 8
 * link `^[]8;;url^[\`), CR as ^M, BEL as ^G, DEL as ^?; C1 controls (8-bit CSI, OSC…) as `\x9b`;
 * the marker glyph as `\u2590`.
 */
export function sanitizeLogText(text: string): string {
  if (!UNSAFE.test(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let shown: string;
    if (c === 0x1b) {
      SGR.lastIndex = i;
      if (SGR.test(text)) {
        i = SGR.lastIndex - 1;
        continue;
      }
      shown = '^[';
    } else if (c === 0x09) continue;
    else if (c < 0x20) shown = `^${String.fromCharCode(0x40 + c)}`;
    else if (c === 0x7f) shown = '^?';
    else if (c >= 0x80 && c <= 0x9f) shown = `\\x${c.toString(16)}`;
    else if (text[i] === MARKER_GLYPH) shown = '\\u2590';
    else continue;
    out += text.slice(from, i) + shown;
    from = i + 1;
  }
  return out + text.slice(from);
}

export interface LineFormat {
  readonly timestamps: boolean;
  /** Service or container name shown before each line when several are interleaved. */
  readonly prefix?: { readonly text: string; readonly colour: string; readonly width: number };
}

/**
 * One log line as terminal text (CRLF-terminated): its own colours are kept, every other control
 * is shown as text (see sanitizeLogText), and its colours end with it.
 */
export function formatLine(line: LogLine, format: LineFormat): string {
  let out = '';
  if (format.prefix) out += `${format.prefix.colour}${sanitizeLogText(format.prefix.text).padEnd(format.prefix.width)} |${RESET} `;
  if (format.timestamps) out += `${DIM}${line.time}${RESET} `;
  if (line.stream === 'stderr') out += `${STDERR_GUTTER}`;
  const text = sanitizeLogText(line.text);
  // a line's own colours must not bleed into the next one
  return `${out}${text}${text.includes('\x1b[') ? RESET : ''}\r\n`;
}

function clock(time: string): string {
  const d = new Date(time);
  return Number.isNaN(d.getTime()) || time.startsWith('0001') ? time : d.toLocaleTimeString();
}

/** A marker line: the marker glyph (which no log line can show) in bold cyan, then the text in reverse video or a warning colour. */
export function formatMarker(marker: LogMarker, name?: string): string {
  const who = name ? `${name}: ` : '';
  let text: string;
  let colour = '\x1b[7m';
  switch (marker.kind) {
    case 'stopped':
      text = `${who}container stopped — exit ${marker.exitCode}${marker.oomKilled ? ', killed for exceeding its memory limit (OOM)' : ''} at ${clock(marker.time)}`;
      colour = marker.exitCode === 0 && !marker.oomKilled ? '\x1b[7m' : '\x1b[41;97m';
      break;
    case 'started':
      text = `${who}container started at ${clock(marker.time)}${marker.restartCount > 0 ? ` (restart ${marker.restartCount})` : ''} — following on`;
      break;
    case 'removed':
      text = `${who}container removed — end of logs`;
      break;
    case 'engine-lost':
      text = `${who}lost the engine (${marker.message}) — reconnecting, no lines will be lost`;
      colour = '\x1b[43;30m';
      break;
    case 'engine-back':
      text = `${who}engine back — resuming where the log left off`;
      break;
  }
  return formatNotice(text, colour);
}

/** A line of Berth's own (a marker or an error) in the marker shape; its text is sanitised too. */
export function formatNotice(text: string, colour = '\x1b[41;97m'): string {
  return `${RESET}\x1b[1;96m${MARKER_GLYPH}${RESET} ${colour}── ${sanitizeLogText(text)} ──${RESET}\r\n`;
}

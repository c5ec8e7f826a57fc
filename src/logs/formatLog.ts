/** Terminal rendering of log lines and markers (ANSI), as plain functions. */
import type { LogMarker } from '../engine/logFollower';
import type { LogLine } from '../engine/logs';

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const STDERR_GUTTER = '\x1b[91m▌\x1b[0m';
/** Service-name colours for interleaved logs: bright cyan, magenta, green, yellow, blue, red. */
const PREFIX_COLOURS = ['\x1b[96m', '\x1b[95m', '\x1b[92m', '\x1b[93m', '\x1b[94m', '\x1b[91m'];

export function prefixColour(index: number): string {
  return PREFIX_COLOURS[index % PREFIX_COLOURS.length] ?? '';
}

export interface LineFormat {
  readonly timestamps: boolean;
  /** Service or container name shown before each line when several are interleaved. */
  readonly prefix?: { readonly text: string; readonly colour: string; readonly width: number };
}

/** One log line as terminal text (CRLF-terminated); the line's own ANSI colours are kept. */
export function formatLine(line: LogLine, format: LineFormat): string {
  let out = '';
  if (format.prefix) out += `${format.prefix.colour}${format.prefix.text.padEnd(format.prefix.width)} |${RESET} `;
  if (format.timestamps) out += `${DIM}${line.time}${RESET} `;
  if (line.stream === 'stderr') out += `${STDERR_GUTTER}`;
  // a line's own colours must not bleed into the next one
  return `${out}${line.text}${line.text.includes('\x1b[') ? RESET : ''}\r\n`;
}

function clock(time: string): string {
  const d = new Date(time);
  return Number.isNaN(d.getTime()) || time.startsWith('0001') ? time : d.toLocaleTimeString();
}

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
  return `${colour} ── ${text} ── ${RESET}\r\n`;
}

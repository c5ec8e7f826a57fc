import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-form-group/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import type { RunFormFields, RunFormFromWebview, RunFormToWebview } from '../../src/ui/webview/protocol';
import { addStyle, connect, el } from '../vscodeApi';

interface ValueElement extends HTMLElement {
  value: string;
}

type Key = keyof RunFormFields;
interface FieldSpec {
  readonly key: Key;
  readonly label: string;
  readonly help: string;
  readonly multiline?: boolean;
  readonly options?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { key: 'name', label: 'Profile name', help: 'letters, digits, . _ -' },
  { key: 'image', label: 'Image', help: 'an image to run as it is — or leave empty and give a Dockerfile' },
  { key: 'dockerfile', label: 'Dockerfile', help: 'relative to the project, e.g. Dockerfile' },
  { key: 'context', label: 'Build context', help: 'folder sent to the build, default .' },
  { key: 'command', label: 'Command', help: 'one argument per line (no shell); empty: the image’s CMD', multiline: true },
  { key: 'env', label: 'Environment', help: 'KEY=VALUE per line', multiline: true },
  { key: 'ports', label: 'Ports', help: '8000 → 127.0.0.1:8000; 0.0.0.0:8080:8000 to publish beyond this machine' },
  { key: 'volumes', label: 'Volumes', help: './data:/data:ro per line', multiline: true },
  { key: 'modelPath', label: 'Model', help: 'a file or folder in the project, mounted read-only; its path is in MODEL_PATH' },
  { key: 'modelMountAt', label: 'Model mount point', help: 'absolute path in the container, default /models' },
  { key: 'gpus', label: 'GPUs', help: 'none, all, a count, or device ids such as 0,1' },
  { key: 'gpuFallback', label: 'Without a GPU', help: 'cpu: "GPU if available"; fail: refuse to run', options: ['cpu', 'fail'] },
  { key: 'shmSize', label: 'Shared memory', help: 'ML data loaders need more than Docker’s 64m; default 1g' },
  { key: 'memory', label: 'Memory limit', help: 'e.g. 4g; empty: no limit' },
  { key: 'cpus', label: 'CPUs', help: 'e.g. 2 or 0.5; empty: no limit' },
  { key: 'restart', label: 'Restart policy', help: 'no, always, unless-stopped, on-failure[:max]' },
  { key: 'healthcheck', label: 'Health check', help: 'image (the image’s HEALTHCHECK), none, or an HTTP path such as /health' },
];

const app = document.getElementById('app')!;
const title = el('h2', { text: 'Run profiles' });
const gpuLine = el('p', { className: 'muted' });
const picker = document.createElement('vscode-single-select') as ValueElement;
picker.id = 'profile';
const inputs = new Map<Key, ValueElement>();
const helpers = new Map<Key, HTMLElement>();
const form = el('div', { className: 'form' });
for (const f of FIELDS) {
  let input: ValueElement;
  if (f.options) {
    input = document.createElement('vscode-single-select');
    for (const o of f.options) input.append(el('vscode-option', { text: o }));
  } else {
    input = document.createElement(f.multiline ? 'vscode-textarea' : 'vscode-textfield');
    if (f.multiline) input.setAttribute('rows', '3');
  }
  input.id = `field-${f.key}`;
  const helper = el('vscode-form-helper', { text: f.help });
  inputs.set(f.key, input);
  helpers.set(f.key, helper);
  const group = el('vscode-form-group', {}, el('vscode-label', { text: f.label }), input, helper);
  group.setAttribute('variant', 'vertical');
  form.append(group);
}
const save = el('vscode-button', { text: 'Save' });
save.id = 'save';
save.setAttribute('secondary', '');
const saveRun = el('vscode-button', { text: 'Save and Run' });
saveRun.id = 'save-run';
const status = el('p', { className: 'status' });
status.id = 'status';
app.append(
  title,
  gpuLine,
  el('div', { className: 'row' }, el('span', { text: 'Profile' }), picker),
  form,
  el('div', { className: 'row' }, save, saveRun),
  status,
);

let profiles: readonly RunFormFields[] = [];
let blank: RunFormFields | undefined;
let editing: string | undefined;

function show(fields: RunFormFields | undefined, name: string | undefined): void {
  editing = name;
  for (const f of FIELDS) {
    const input = inputs.get(f.key);
    if (input) input.value = fields ? String(fields[f.key]) : '';
    const helper = helpers.get(f.key);
    if (helper) {
      helper.textContent = f.help;
      helper.classList.remove('error');
    }
  }
}

function values(): RunFormFields {
  const get = (k: Key): string => inputs.get(k)?.value ?? '';
  return {
    name: get('name'),
    image: get('image'),
    dockerfile: get('dockerfile'),
    context: get('context'),
    command: get('command'),
    env: get('env'),
    ports: get('ports'),
    volumes: get('volumes'),
    modelPath: get('modelPath'),
    modelMountAt: get('modelMountAt'),
    gpus: get('gpus'),
    gpuFallback: get('gpuFallback') === 'fail' ? 'fail' : 'cpu',
    shmSize: get('shmSize'),
    memory: get('memory'),
    cpus: get('cpus'),
    restart: get('restart'),
    healthcheck: get('healthcheck'),
  };
}

const api = connect<RunFormToWebview, RunFormFromWebview>((m) => {
  if (m.type === 'init') {
    title.textContent = `Run profiles: ${m.project}`;
    gpuLine.textContent = `This engine: ${m.gpu}`;
    profiles = m.profiles;
    blank = m.blank;
    picker.replaceChildren(...profiles.map((p) => el('vscode-option', { text: p.name })), el('vscode-option', { text: '(new profile)' }));
    show(profiles[0] ?? blank, profiles[0]?.name);
  } else if (m.type === 'problems') {
    status.textContent = `Not saved: ${m.problems.length} problem${m.problems.length === 1 ? '' : 's'}.`;
    status.className = 'status error';
    const elsewhere: string[] = [];
    for (const p of m.problems) {
      const helper = helpers.get(p.field as Key);
      if (helper) {
        helper.textContent = p.message;
        helper.classList.add('error');
      } else elsewhere.push(p.message);
    }
    // problems of settings the form does not show (kept from the file) are named here
    if (elsewhere.length > 0) status.textContent += ` ${elsewhere.join('; ')}`;
  } else if (m.type === 'failed') {
    status.textContent = m.message;
    status.className = 'status error';
  } else {
    status.textContent = `Saved profile "${m.name}" to berth.yaml.`;
    status.className = 'status';
    editing = m.name;
  }
});

picker.addEventListener('change', () => {
  const p = profiles.find((x) => x.name === picker.value);
  show(p ?? blank, p?.name);
});
const submit = (run: boolean): void => {
  for (const f of FIELDS) helpers.get(f.key)?.classList.remove('error');
  api.postMessage({ type: 'save', fields: values(), ...(editing ? { previousName: editing } : {}), run });
};
save.addEventListener('click', () => submit(false));
saveRun.addEventListener('click', () => submit(true));

addStyle(`
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; max-width: 760px; }
.row { display: flex; gap: 8px; align-items: center; margin: 12px 0; }
.form vscode-textfield, .form vscode-textarea, .form vscode-single-select { width: 100%; }
.muted { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); }
`);
api.postMessage({ type: 'ready' });

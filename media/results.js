// Results view (webview side). Receives {type:'state', run, runs, grouped} from the extension,
// draws one row per host (or per group of hosts with identical output) and reports back what it
// drew, so the extension (and its tests) know the view is really showing the run.
// @ts-check
(function () {
  // @ts-ignore acquireVsCodeApi is provided by the webview host
  const vscode = acquireVsCodeApi();
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const tbody = /** @type {HTMLTableSectionElement} */ (document.querySelector('#results tbody'));
  const runSelect = /** @type {HTMLSelectElement} */ ($('run'));
  const groupBox = /** @type {HTMLInputElement} */ ($('group'));
  const compareBtn = /** @type {HTMLButtonElement} */ ($('compare'));
  const rerunBtn = /** @type {HTMLButtonElement} */ ($('rerun'));
  const cancelBtn = /** @type {HTMLButtonElement} */ ($('cancel'));
  /** @type {Set<string>} */
  const selected = new Set();
  let current = null;

  const post = (m) => vscode.postMessage(m);

  function duration(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }

  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function statusBadge(state) {
    return el('span', { className: 'status s-' + state.toLowerCase(), textContent: state });
  }

  function outputCell(row) {
    const lines = row.firstLines.length ? row.firstLines : row.error ? [row.error] : [];
    const pre = el('pre', { className: 'first' + (row.firstLines.length ? '' : ' error') });
    pre.textContent = lines.join('\n');
    const more = row.lines > row.firstLines.length ? el('div', { className: 'more', textContent: '… ' + row.lines + ' lines' }) : null;
    if (row.error && row.firstLines.length) pre.title = row.error;
    return el('td', { className: 'output' }, pre, more);
  }

  function actionCell(host) {
    const open = el('button', { className: 'link', textContent: 'Open output', title: 'Open ' + host + "'s full output as a document" });
    open.addEventListener('click', (e) => {
      e.stopPropagation();
      post({ type: 'open', host });
    });
    const panel = el('button', { className: 'link', textContent: 'Panel', title: 'Show the output panel of ' + host });
    panel.addEventListener('click', (e) => {
      e.stopPropagation();
      post({ type: 'panel', host });
    });
    return el('td', { className: 'actions' }, open, panel);
  }

  function selectCell(host, label) {
    const box = el('input', { type: 'checkbox', checked: selected.has(host), title: 'Select to compare', ariaLabel: 'Select ' + label });
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) selected.add(host);
      else selected.delete(host);
      updateButtons();
    });
    return el('td', { className: 'sel' }, box);
  }

  function groupsOf(rows) {
    /** @type {Map<string, any[]>} */
    const groups = new Map();
    for (const r of rows) {
      const key = r.group || 'pending:' + r.host;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    }
    return [...groups.values()];
  }

  function render(msg) {
    current = msg.run;
    runSelect.replaceChildren(...msg.runs.map((r) => el('option', { value: String(r.id), textContent: r.label + (r.active ? ' (running)' : ''), selected: current && r.id === current.id })));
    runSelect.hidden = msg.runs.length === 0;
    groupBox.checked = msg.grouped;
    $('empty').hidden = !!current;
    $('results').hidden = !current;
    tbody.replaceChildren();
    /** @type {{host:string,state:string,exitCode:string,firstLine:string}[]} */
    const drawn = [];
    /** @type {{hosts:string[],label:string}[]} */
    const drawnGroups = [];
    if (!current) {
      $('summary').textContent = '';
      updateButtons();
      post({ type: 'rendered', state: { runId: -1, grouped: msg.grouped, rows: drawn, groups: drawnGroups } });
      return;
    }
    const counts = {};
    for (const r of current.rows) counts[r.state] = (counts[r.state] || 0) + 1;
    $('summary').textContent =
      current.label + ' · ' + current.startedAt + ' · ' + current.done + '/' + current.total + ' done' +
      Object.entries(counts).filter(([s]) => s !== 'Pending' && s !== 'Running').map(([s, n]) => ' · ' + n + ' ' + s).join('');
    const known = new Set(current.rows.map((r) => r.host));
    for (const h of [...selected]) if (!known.has(h)) selected.delete(h);

    if (msg.grouped) {
      for (const group of groupsOf(current.rows)) {
        const first = group[0];
        const hosts = group.map((r) => r.host);
        const label = group.length === 1 ? first.host : group.length + ' hosts, same output';
        const names = el('div', { className: 'members', textContent: hosts.join(', ') });
        const tr = el('tr', { className: 'group' },
          selectCell(first.host, label),
          el('td', { className: 'host' }, el('div', { textContent: label }), group.length > 1 ? names : null),
          el('td', {}, statusBadge(first.state)),
          el('td', { className: 'num', textContent: first.exitCode === null ? '' : String(first.exitCode) }),
          el('td', { className: 'num', textContent: duration(Math.max(...group.map((r) => r.durationMs || 0))) }),
          outputCell(first),
          actionCell(first.host));
        tbody.append(tr);
        drawnGroups.push({ hosts, label });
        for (const r of group) drawn.push({ host: r.host, state: r.state, exitCode: r.exitCode === null ? '' : String(r.exitCode), firstLine: r.firstLines[0] || '' });
      }
    } else {
      for (const r of current.rows) {
        const tr = el('tr', { className: 'row' },
          selectCell(r.host, r.host),
          el('td', { className: 'host', textContent: r.host }),
          el('td', {}, statusBadge(r.state)),
          el('td', { className: 'num', textContent: r.exitCode === null ? (r.signal || '') : String(r.exitCode) }),
          el('td', { className: 'num', textContent: duration(r.durationMs) }),
          outputCell(r),
          actionCell(r.host));
        tr.addEventListener('dblclick', () => post({ type: 'open', host: r.host }));
        tbody.append(tr);
        drawn.push({ host: r.host, state: r.state, exitCode: r.exitCode === null ? '' : String(r.exitCode), firstLine: r.firstLines[0] || '' });
      }
    }
    updateButtons();
    vscode.setState({ runId: current.id });
    post({ type: 'rendered', state: { runId: current.id, grouped: msg.grouped, rows: drawn, groups: drawnGroups } });
  }

  function failedHosts() {
    return current ? current.rows.filter((r) => r.state !== 'Completed' && r.state !== 'Pending' && r.state !== 'Running').map((r) => r.host) : [];
  }

  function updateButtons() {
    compareBtn.disabled = !current || selected.size < 1 || selected.size > 2;
    cancelBtn.hidden = !current || !current.active;
    rerunBtn.disabled = !current || current.active || failedHosts().length === 0;
  }

  runSelect.addEventListener('change', () => post({ type: 'selectRun', id: Number(runSelect.value) }));
  groupBox.addEventListener('change', () => post({ type: 'group', on: groupBox.checked }));
  compareBtn.addEventListener('click', () => post({ type: 'compare', hosts: [...selected] }));
  cancelBtn.addEventListener('click', () => post({ type: 'cancel' }));
  rerunBtn.addEventListener('click', () => post({ type: 'rerun', hosts: failedHosts() }));
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === 'state') render(e.data);
  });
  post({ type: 'ready' });
})();

// Results view (webview side). Receives {type:'state', run, runs, view, expanded} from the
// extension and draws one compact row per host (or per group of hosts with identical output):
// status, exit, duration and the first output line, expandable for more. Rows are sorted and
// filtered here and virtualised: only the rows in sight (plus a margin) are in the DOM, so 2,000
// hosts draw and scroll like 20. It reports back what it drew (rows in order, counts, how many row
// elements, how long it took), so the extension and its tests know what the view really shows.
// The Objects tab is every host's objects in one grid (PSComputerName first), sorted, filtered
// and virtualised the same way; the extension sends the objects in slices as they arrive.
// @ts-check
(function () {
  // @ts-ignore acquireVsCodeApi is provided by the webview host
  const vscode = acquireVsCodeApi();
  const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const runSelect = /** @type {HTMLSelectElement} */ ($('run'));
  const groupBox = /** @type {HTMLInputElement} */ ($('group'));
  const compareBtn = /** @type {HTMLButtonElement} */ ($('compare'));
  const rerunBtn = /** @type {HTMLButtonElement} */ ($('rerun'));
  const cancelBtn = /** @type {HTMLButtonElement} */ ($('cancel'));
  const scroller = $('scroller');
  const spacer = $('spacer');
  const filters = $('filters');

  const ROW_H = 28;
  const LINE_H = 18;
  const OVERSCAN = 10;
  /** Failed and unreachable hosts first: the order of the status column when sorted ascending. */
  const RANK = {
    Failed: 0, AuthFailed: 1, HostKeyRejected: 2, TimedOut: 3, Unreachable: 4, Disconnected: 5, Cancelled: 6, Skipped: 7,
    Running: 8, Queued: 9, Pending: 10, Completed: 11,
  };
  const NOT_FAILED = new Set(['Completed', 'Running', 'Queued', 'Pending']);
  const rank = (s) => (s in RANK ? RANK[s] : 7.5);
  const collator = new Intl.Collator(undefined, { numeric: true });

  /** @type {Set<string>} */
  const selected = new Set();
  /** @type {Set<string>} */
  let expanded = new Set();
  let current = null;
  let runs = [];
  let view = { tab: 'hosts', grouped: false, sort: { key: 'status', dir: 'asc' }, filter: [] };
  // A state message already on its way when the user clicked a tab, a header or a row carries the
  // view from before the click: it must not undo the click. Each change made here is numbered, and
  // a state only sets the view and the expanded rows once the extension has taken in all of them.
  let changeSeq = 0;
  /** What the list shows, in order: {kind:'row', row} | {kind:'group', rows}. */
  let items = [];
  /** items[i] starts at offsets[i]; offsets[items.length] is the total height. */
  let offsets = [0];
  let receivedAt = performance.now();
  let drawnFrom = -1;
  let drawnTo = -1;

  const post = (m) => vscode.postMessage(m);

  function duration(ms) {
    if (ms === null || ms === undefined) return '';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function clock(ms) {
    const s = Math.floor(ms / 1000);
    const m = Math.floor(s / 60);
    return m + ':' + String(s % 60).padStart(2, '0');
  }
  /** A running host's duration counts up between updates from the extension. */
  function liveDuration(row) {
    if (row.state === 'Running' && row.durationMs !== null) return row.durationMs + (performance.now() - receivedAt);
    return row.durationMs;
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

  function exitText(row) {
    return row.exitCode === null ? row.signal || '' : String(row.exitCode);
  }

  function firstLine(row) {
    return row.lines.length ? row.lines[0].t : '';
  }

  // ---- order and filter --------------------------------------------------------------------

  function compareRows(a, b) {
    const { key, dir } = view.sort;
    let d = 0;
    if (key === 'host') d = collator.compare(a.host, b.host);
    else if (key === 'exit') d = (a.exitCode ?? Number.MAX_SAFE_INTEGER) - (b.exitCode ?? Number.MAX_SAFE_INTEGER);
    else if (key === 'duration') d = (liveDuration(a) ?? -1) - (liveDuration(b) ?? -1);
    else d = rank(a.state) - rank(b.state);
    if (dir === 'desc') d = -d;
    return d || collator.compare(a.host, b.host);
  }

  function visibleRows() {
    const shown = view.filter.length ? new Set(view.filter) : null;
    return current.rows.filter((r) => !shown || shown.has(r.state)).sort(compareRows);
  }

  function buildItems() {
    const rows = visibleRows();
    if (!view.grouped) return rows.map((row) => ({ kind: 'row', row }));
    /** @type {Map<string, any[]>} */
    const groups = new Map();
    for (const r of rows) {
      const key = r.group || 'pending:' + r.host;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    }
    return [...groups.values()].map((g) => (g.length === 1 ? { kind: 'row', row: g[0] } : { kind: 'group', rows: g }));
  }

  function itemHeight(item) {
    if (item.kind === 'group') return ROW_H + LINE_H;
    if (!expanded.has(item.row.host)) return ROW_H;
    const extra = Math.max(1, item.row.lines.length) + (item.row.error ? 1 : 0) + (item.row.lineCount > item.row.lines.length ? 1 : 0);
    return ROW_H + extra * LINE_H + 8;
  }

  function layout() {
    items = buildItems();
    offsets = new Array(items.length + 1);
    offsets[0] = 0;
    for (let i = 0; i < items.length; i++) offsets[i + 1] = offsets[i] + itemHeight(items[i]);
    spacer.style.height = offsets[items.length] + 'px';
  }

  /** First item whose bottom is below y (binary search over offsets). */
  function indexAt(y) {
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid + 1] <= y) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  // ---- drawing -----------------------------------------------------------------------------

  function outputCell(row) {
    const cell = el('div', { className: 'cell output' });
    if (row.queuedBehind !== null && row.queuedBehind !== undefined) {
      cell.append(el('span', { className: 'queued', textContent: 'queued behind run ' + row.queuedBehind }));
      return cell;
    }
    const open = expanded.has(row.host);
    const lines = open ? row.lines : row.lines.slice(0, 1);
    const pre = el('pre', { className: 'first' + (open ? ' open' : '') });
    for (const l of lines) pre.append(el('span', { className: l.s ? 'line stderr' : 'line', textContent: l.t }));
    if (!lines.length && row.error) pre.append(el('span', { className: 'line error', textContent: row.error }));
    else if (open && row.error) pre.append(el('span', { className: 'line error', textContent: row.error }));
    if (!open && row.error) pre.title = row.error;
    cell.append(pre);
    if (open && row.lineCount > row.lines.length) cell.append(el('div', { className: 'more', textContent: '… ' + row.lineCount + ' lines: Open output for all of them' }));
    else if (!open && row.lineCount > 1) cell.append(el('span', { className: 'count', textContent: '+' + (row.lineCount - 1) }));
    return cell;
  }

  function actionCell(host) {
    const open = el('button', { className: 'link', textContent: 'Open output', title: 'Open ' + host + "'s full output as a document" });
    open.addEventListener('click', (e) => {
      e.stopPropagation();
      post({ type: 'open', host, width: window.innerWidth });
    });
    const panel = el('button', { className: 'link', textContent: 'Panel', title: 'Show the output panel of ' + host });
    panel.addEventListener('click', (e) => {
      e.stopPropagation();
      post({ type: 'panel', host });
    });
    return el('div', { className: 'cell actions' }, open, panel);
  }

  function selectCell(host, label) {
    const box = el('input', { type: 'checkbox', checked: selected.has(host), title: 'Select to compare', ariaLabel: 'Select ' + label });
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => {
      if (box.checked) selected.add(host);
      else selected.delete(host);
      updateButtons();
    });
    return el('div', { className: 'cell sel' }, box);
  }

  function drawItem(item, top) {
    if (item.kind === 'group') {
      const first = item.rows[0];
      const hosts = item.rows.map((r) => r.host);
      const label = item.rows.length + ' hosts, same output';
      const div = el('div', { className: 'row grid group', role: 'row' },
        selectCell(first.host, label),
        el('div', { className: 'cell exp' }),
        el('div', { className: 'cell host' }, el('div', { textContent: label }), el('div', { className: 'members', textContent: hosts.join(', '), title: hosts.join(', ') })),
        el('div', { className: 'cell' }, statusBadge(first.state)),
        el('div', { className: 'cell num', textContent: exitText(first) }),
        el('div', { className: 'cell num dur', textContent: duration(Math.max(...item.rows.map((r) => liveDuration(r) || 0))) }),
        outputCell(first),
        actionCell(first.host));
      div.style.top = top + 'px';
      div.style.height = itemHeight(item) + 'px';
      return div;
    }
    const row = item.row;
    const open = expanded.has(row.host);
    const chevron = el('button', { className: 'link chevron', textContent: open ? '▾' : '▸', title: open ? 'Show one line' : 'Show more lines', ariaExpanded: String(open) });
    chevron.addEventListener('click', (e) => {
      e.stopPropagation();
      toggleExpanded(row.host);
    });
    const div = el('div', { className: 'row grid' + (open ? ' expanded' : ''), role: 'row' },
      selectCell(row.host, row.host),
      el('div', { className: 'cell exp' }, chevron),
      el('div', { className: 'cell host', textContent: row.host, title: row.host }),
      el('div', { className: 'cell' }, statusBadge(row.state), ...(row.batch ? [el('span', { className: 'batch', textContent: 'batch ' + row.batch, title: 'Rolling run: batch ' + row.batch })] : [])),
      el('div', { className: 'cell num', textContent: exitText(row) }),
      el('div', { className: 'cell num dur', textContent: duration(liveDuration(row)) }),
      outputCell(row),
      actionCell(row.host));
    div.dataset.host = row.host;
    div.style.top = top + 'px';
    div.style.height = itemHeight(item) + 'px';
    div.addEventListener('click', () => toggleExpanded(row.host));
    div.addEventListener('dblclick', () => post({ type: 'open', host: row.host, width: window.innerWidth }));
    return div;
  }

  /** Row elements in the DOM by item index; rows still in sight after a scroll are kept, not redrawn. */
  let drawn = new Map();

  /** Puts the rows in sight (and a margin) into the DOM; nothing else. */
  function drawWindow(force) {
    const top = scroller.scrollTop;
    const from = Math.max(0, indexAt(top) - OVERSCAN);
    const to = Math.min(items.length, indexAt(top + scroller.clientHeight) + 1 + OVERSCAN);
    if (!force && from === drawnFrom && to === drawnTo) return;
    drawnFrom = from;
    drawnTo = to;
    if (force) {
      drawn = new Map();
      const frag = document.createDocumentFragment();
      for (let i = from; i < to; i++) {
        const div = drawItem(items[i], offsets[i]);
        drawn.set(i, div);
        frag.append(div);
      }
      spacer.replaceChildren(frag);
      return;
    }
    for (const [i, div] of drawn) {
      if (i < from || i >= to) {
        div.remove();
        drawn.delete(i);
      }
    }
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) {
      if (drawn.has(i)) continue;
      const div = drawItem(items[i], offsets[i]);
      drawn.set(i, div);
      frag.append(div);
    }
    spacer.append(frag);
  }

  function toggleExpanded(host) {
    if (expanded.has(host)) expanded.delete(host);
    else expanded.add(host);
    post({ type: 'expand', hosts: [...expanded], seq: ++changeSeq });
    draw();
  }

  function countsOf(rows) {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const r of rows) counts[r.state] = (counts[r.state] || 0) + 1;
    return counts;
  }

  function drawFilters(counts) {
    const states = Object.keys(counts).sort((a, b) => rank(a) - rank(b));
    const parts = [];
    const all = el('button', { className: 'chip' + (view.filter.length ? '' : ' on'), textContent: 'All ' + current.rows.length, ariaPressed: String(!view.filter.length) });
    all.addEventListener('click', () => setView({ filter: [] }));
    parts.push(all);
    states.forEach((s) => {
      const on = view.filter.includes(s);
      const chip = el('button', { className: 'chip s-' + s.toLowerCase() + (on ? ' on' : ''), ariaPressed: String(on), title: 'Show only ' + s + ' hosts (click again to show all)' });
      chip.dataset.state = s;
      chip.append(el('span', { textContent: s + ' ' + counts[s] }));
      chip.addEventListener('click', () => setView({ filter: on ? view.filter.filter((f) => f !== s) : [...view.filter, s] }));
      parts.push(el('span', { className: 'sep', textContent: parts.length > 1 ? '·' : '' }), chip);
    });
    const failures = states.filter((s) => !NOT_FAILED.has(s));
    const onlyFailures = el('button', { id: 'only-failures', className: 'secondary', textContent: 'Show only failures', disabled: !failures.length });
    onlyFailures.addEventListener('click', () => setView({ filter: failures }));
    filters.replaceChildren(...parts, el('span', { className: 'spacer' }), onlyFailures);
  }

  function drawHeader() {
    for (const th of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.head [data-sort]'))) {
      const key = th.dataset.sort;
      const on = view.sort.key === key;
      th.classList.toggle('sorted', on);
      th.setAttribute('aria-sort', on ? (view.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.querySelector('.arrow').textContent = on ? (view.sort.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
  }

  function summaryText() {
    const elapsed = current.active ? ' · ' + clock(current.elapsedMs + (performance.now() - receivedAt)) + ' elapsed' : ' · took ' + duration(current.elapsedMs);
    return current.label + ' · ' + current.startedAt + ' · ' + current.done + '/' + current.total + ' done' + elapsed;
  }

  /** Sorts, filters and lays out again, then draws the window; reports what is drawn. */
  function draw() {
    const t0 = performance.now();
    $('empty').hidden = !!current;
    $('table').hidden = !current || objectsTabShown();
    filters.hidden = !current || objectsTabShown();
    if (!current) {
      $('summary').textContent = '';
      filters.replaceChildren();
      updateButtons();
      post({ type: 'rendered', state: { runId: -1, grouped: view.grouped, sort: view.sort, filter: view.filter, counts: {}, countsText: '', summary: '', rows: [], groups: [], domRows: 0, renderMs: 0, total: 0, width: window.innerWidth } });
      return;
    }
    const counts = countsOf(current.rows);
    $('summary').textContent = summaryText();
    drawFilters(counts);
    drawHeader();
    layout();
    drawWindow(true);
    updateButtons();
    void spacer.offsetHeight; // the layout is part of the cost
    const renderMs = performance.now() - t0;
    const drawnRows = items.flatMap((it) => (it.kind === 'group' ? it.rows : [it.row]));
    post({
      type: 'rendered',
      state: {
        runId: current.id,
        grouped: view.grouped,
        sort: view.sort,
        filter: view.filter,
        counts,
        countsText: Object.keys(counts).sort((a, b) => rank(a) - rank(b)).map((s) => s + ' ' + counts[s]).join(' · '),
        summary: $('summary').textContent,
        rows: drawnRows.map((r) => ({ host: r.host, state: r.state, exitCode: exitText(r), firstLine: firstLine(r), durationMs: r.durationMs, queuedBehind: r.queuedBehind })),
        groups: items.map((it) => (it.kind === 'group' ? { hosts: it.rows.map((r) => r.host), label: it.rows.length + ' hosts, same output' } : { hosts: [it.row.host], label: it.row.host })),
        domRows: spacer.childElementCount,
        renderMs,
        total: current.rows.length,
        width: window.innerWidth,
      },
    });
  }

  function setView(change) {
    view = { ...view, ...change };
    post({ type: 'view', view, seq: ++changeSeq });
    draw();
    if ('tab' in change) drawObjects();
  }

  // ---- the Objects tab ---------------------------------------------------------------------

  const O_ROW_H = 22;
  const objectsSection = $('objects');
  const oScroller = $('oscroller');
  const oSpacer = $('ospacer');
  const oHead = $('ohead');
  const oFilter = /** @type {HTMLInputElement} */ ($('objects-filter'));
  const numeric = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
  /** The run's objects as cells; rows made before a column appeared are shorter (the cell is empty). */
  let objects = { runId: -1, columns: [], rows: [], total: 0, dropped: 0 };
  /** @type {{column: string, descending: boolean} | null} */
  let oSort = null;
  /** Indexes into objects.rows, as shown (filtered, sorted). */
  let oShown = [];
  let oDrawn = new Map();
  let oFrom = -1;
  let oTo = -1;
  /** New objects, columns, sort or filter since the grid was last laid out. */
  let oDirty = false;
  let oShownBefore = false;

  const cell = (row, i) => row[i] ?? '';

  function receiveObjects(update) {
    if (!update) return;
    const fresh = update.from === 0 || update.runId !== objects.runId;
    if (!fresh && update.from !== objects.rows.length) {
      // A slice went missing (the webview was reloaded meanwhile): ask for all of them again.
      post({ type: 'objectsResync' });
      return;
    }
    if (update.runId !== objects.runId) {
      oSort = null;
      oFilter.value = '';
    }
    const rows = fresh ? update.rows : objects.rows.concat(update.rows);
    oDirty ||= fresh || update.rows.length > 0 || update.columns.length !== objects.columns.length || update.dropped !== objects.dropped;
    objects = { runId: update.runId, columns: update.columns, rows, total: update.total, dropped: update.dropped };
  }

  function objectsOrder() {
    const f = oFilter.value.toLowerCase();
    const idx = [];
    for (let i = 0; i < objects.rows.length; i++) {
      if (!f || objects.rows[i].some((c) => c.toLowerCase().includes(f))) idx.push(i);
    }
    if (oSort) {
      const col = objects.columns.indexOf(oSort.column);
      const dir = oSort.descending ? -1 : 1;
      idx.sort((a, b) => {
        const x = cell(objects.rows[a], col);
        const y = cell(objects.rows[b], col);
        const d = numeric.test(x) && numeric.test(y) ? Number(x) - Number(y) : collator.compare(x, y);
        return dir * d || a - b;
      });
    }
    return idx;
  }

  /** Column widths from the header and the first rows' text, in characters (kept within 4..48). */
  function columnWidths() {
    const sample = objects.rows.slice(0, 500);
    return objects.columns.map((c, i) => {
      let w = c.length + 5; // the header is bold, with room for its sort arrow
      for (const r of sample) w = Math.max(w, Math.min(48, cell(r, i).length + 1));
      return Math.max(4, Math.min(48, w));
    });
  }

  function drawObjectsHeader() {
    const widths = columnWidths();
    objectsSection.style.setProperty('--ocols', widths.map((w) => w + 'ch').join(' '));
    // Rows are placed absolutely: the grid's width is set, so it scrolls sideways when wider than the tab.
    const width = 'calc(' + widths.reduce((a, b) => a + b, 0) + 'ch + ' + 12 * Math.max(0, widths.length - 1) + 'px)';
    oSpacer.style.minWidth = width;
    oHead.replaceChildren(
      ...objects.columns.map((c) => {
        const on = oSort && oSort.column === c;
        const th = el('button', { className: 'ocell oth' + (on ? ' sorted' : ''), textContent: c + (on ? (oSort.descending ? ' ▼' : ' ▲') : ''), title: 'Sort by ' + c });
        th.setAttribute('role', 'columnheader');
        th.setAttribute('aria-sort', on ? (oSort.descending ? 'descending' : 'ascending') : 'none');
        th.addEventListener('click', () => setObjectsView({ sort: on && !oSort.descending ? { column: c, descending: true } : { column: c, descending: false } }));
        return th;
      }),
    );
  }

  function drawObjectRow(i) {
    const row = objects.rows[oShown[i]];
    const div = el('div', { className: 'orow', role: 'row' });
    objects.columns.forEach((_, c) => {
      const text = cell(row, c);
      div.append(el('div', { className: 'ocell' + (numeric.test(text) ? ' num' : ''), textContent: text, title: text }));
    });
    div.style.top = i * O_ROW_H + 'px';
    return div;
  }

  function drawObjectsWindow(force) {
    const top = oScroller.scrollTop;
    const from = Math.max(0, Math.floor(top / O_ROW_H) - OVERSCAN);
    const to = Math.min(oShown.length, Math.ceil((top + oScroller.clientHeight) / O_ROW_H) + OVERSCAN);
    if (!force && from === oFrom && to === oTo) return;
    oFrom = from;
    oTo = to;
    if (force) oDrawn = new Map();
    for (const [i, div] of oDrawn) {
      if (i < from || i >= to) {
        div.remove();
        oDrawn.delete(i);
      }
    }
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) {
      if (oDrawn.has(i)) continue;
      const div = drawObjectRow(i);
      oDrawn.set(i, div);
      frag.append(div);
    }
    if (force) oSpacer.replaceChildren(frag);
    else oSpacer.append(frag);
  }

  function objectsTabShown() {
    return view.tab === 'objects' && objects.rows.length > 0 && !!current && objects.runId === current.id;
  }

  /** Shows the tab that is chosen (the Objects tab only for a run with objects); lays the grid out again when it changed. */
  function drawObjects() {
    const has = !!current && objects.runId === current.id && objects.total > 0;
    $('tabs').hidden = !has;
    $('objects-count').textContent = has ? String(objects.total + objects.dropped) : '';
    const onObjects = objectsTabShown();
    for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('#tabs [data-tab]'))) {
      const on = (tab.dataset.tab === 'objects') === onObjects;
      tab.classList.toggle('on', on);
      tab.setAttribute('aria-selected', String(on));
    }
    objectsSection.hidden = !onObjects;
    filters.hidden = onObjects || !current;
    $('table').hidden = onObjects || !current;
    // Hidden, the grid had no height to draw rows into: the first time it shows, it is drawn afresh.
    const appearing = onObjects && !oShownBefore;
    oShownBefore = onObjects;
    if (!has || (!oDirty && !appearing)) return;
    oDirty = false;
    oShown = objectsOrder();
    drawObjectsHeader();
    oSpacer.style.height = oShown.length * O_ROW_H + 'px';
    drawObjectsWindow(true);
    $('objects-shown').textContent = oShown.length === objects.rows.length ? objects.rows.length + ' objects' : oShown.length + ' of ' + objects.rows.length + ' objects';
    const dropped = $('objects-dropped');
    dropped.hidden = !objects.dropped;
    dropped.textContent = objects.dropped ? objects.dropped + ' more objects were not kept (a run keeps at most ' + objects.total + '); the output panel has them all as text.' : '';
    post({
      type: 'objectsRendered',
      state: {
        runId: objects.runId,
        columns: objects.columns,
        rows: oShown.slice(0, 500).map((i) => objects.columns.map((_, c) => cell(objects.rows[i], c))),
        total: objects.rows.length,
        shown: oShown.length,
        sort: oSort,
        filter: oFilter.value,
        domRows: oSpacer.childElementCount,
        dropped: objects.dropped,
        visible: onObjects,
      },
    });
  }

  function setObjectsView(change) {
    if ('sort' in change) oSort = change.sort;
    if ('filter' in change) oFilter.value = change.filter;
    oDirty = true;
    drawObjects();
  }

  oFilter.addEventListener('input', () => {
    oDirty = true;
    drawObjects();
  });
  oScroller.addEventListener('scroll', () => {
    oHead.scrollLeft = oScroller.scrollLeft;
    requestAnimationFrame(() => drawObjectsWindow(false));
  }, { passive: true });
  $('export-csv').addEventListener('click', () => post({ type: 'exportObjects', format: 'csv', rows: oShown }));
  $('export-json').addEventListener('click', () => post({ type: 'exportObjects', format: 'json', rows: oShown }));
  for (const tab of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('#tabs [data-tab]'))) {
    tab.addEventListener('click', () => setView({ tab: tab.dataset.tab }));
  }

  function render(msg) {
    receivedAt = performance.now();
    current = msg.run;
    runs = msg.runs;
    if (msg.changeSeq >= changeSeq) {
      view = msg.view;
      expanded = new Set(msg.expanded);
    }
    receiveObjects(msg.objects);
    runSelect.replaceChildren(...runs.map((r) => el('option', { value: String(r.id), textContent: r.label + (r.active ? ' (running)' : ''), selected: current && r.id === current.id })));
    runSelect.hidden = runs.length === 0;
    groupBox.checked = view.grouped;
    if (current) {
      const known = new Set(current.rows.map((r) => r.host));
      for (const h of [...selected]) if (!known.has(h)) selected.delete(h);
    }
    draw();
    drawObjects();
    vscode.setState({ runId: current ? current.id : undefined });
  }

  /** Live numbers between updates: the elapsed time and the running hosts' durations. */
  function tick() {
    if (!current || !current.active) return;
    $('summary').textContent = summaryText();
    for (const div of /** @type {NodeListOf<HTMLElement>} */ (spacer.querySelectorAll('.row[data-host]'))) {
      const row = current.rows.find((r) => r.host === div.dataset.host);
      if (row && row.state === 'Running') div.querySelector('.dur').textContent = duration(liveDuration(row));
    }
  }

  /** Scrolls from top to bottom a page at a time and reports the slowest frame (the tests' measurement). */
  async function measureScroll() {
    const frames = [];
    scroller.scrollTop = 0;
    // A third of a page per step, as a mouse wheel or trackpad moves it.
    const page = Math.max(ROW_H, Math.floor(scroller.clientHeight / 3));
    const max = scroller.scrollHeight - scroller.clientHeight;
    for (let y = 0; y <= max; y += page) {
      const t0 = performance.now();
      scroller.scrollTop = y;
      drawWindow(false);
      void spacer.offsetHeight;
      frames.push(performance.now() - t0);
      await new Promise((r) => requestAnimationFrame(r));
    }
    scroller.scrollTop = 0;
    drawWindow(false);
    const sorted = [...frames].sort((a, b) => a - b);
    post({
      type: 'scrollMeasured',
      result: {
        frames: frames.length,
        maxFrameMs: sorted[sorted.length - 1] || 0,
        p95FrameMs: sorted[Math.floor(sorted.length * 0.95)] || 0,
        meanFrameMs: frames.reduce((a, b) => a + b, 0) / Math.max(1, frames.length),
        domRows: spacer.childElementCount,
      },
    });
  }

  function failedHosts() {
    return current ? current.rows.filter((r) => !NOT_FAILED.has(r.state)).map((r) => r.host) : [];
  }

  function updateButtons() {
    compareBtn.disabled = !current || selected.size < 1 || selected.size > 2;
    cancelBtn.hidden = !current || !current.active;
    rerunBtn.disabled = !current || current.active || failedHosts().length === 0;
  }

  for (const th of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.head [data-sort]'))) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      setView({ sort: { key, dir: view.sort.key === key && view.sort.dir === 'asc' ? 'desc' : 'asc' } });
    });
  }
  scroller.addEventListener('scroll', () => requestAnimationFrame(() => drawWindow(false)), { passive: true });
  window.addEventListener('resize', () => {
    drawWindow(true);
    if (objectsTabShown()) drawObjectsWindow(true);
  });
  runSelect.addEventListener('change', () => post({ type: 'selectRun', id: Number(runSelect.value) }));
  groupBox.addEventListener('change', () => setView({ grouped: groupBox.checked }));
  compareBtn.addEventListener('click', () => post({ type: 'compare', hosts: [...selected], width: window.innerWidth }));
  cancelBtn.addEventListener('click', () => post({ type: 'cancel' }));
  rerunBtn.addEventListener('click', () => post({ type: 'rerun', hosts: failedHosts() }));
  window.addEventListener('message', (e) => {
    if (!e.data) return;
    if (e.data.type === 'state') render(e.data);
    else if (e.data.type === 'measureScroll') void measureScroll();
    else if (e.data.type === 'setView') setView(e.data.view);
    else if (e.data.type === 'setObjectsView') setObjectsView(e.data.change);
  });
  setInterval(tick, 500);
  post({ type: 'ready' });
})();

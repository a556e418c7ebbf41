// dfid annotate: the labelling page. Every text from the corpus is set with textContent, never parsed as HTML
// (the page's Content-Security-Policy also forbids inline script and enforces Trusted Types).
'use strict';
(function () {
  const token = new URLSearchParams(window.location.search).get('token') || '';
  const $ = (id) => document.getElementById(id);
  let setup = null;
  let state = null;
  let busy = false;
  let chosenAction = null;

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function kbd(key) {
    return el('kbd', null, key.toUpperCase());
  }

  async function api(method, path, body) {
    const init = { method: method, headers: { 'X-Dfid-Token': token }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const type = response.headers.get('Content-Type') || '';
    const data = type.indexOf('application/json') >= 0 ? await response.json() : await response.text();
    return { status: response.status, data: data };
  }

  function showError(message) {
    const e = $('error');
    e.textContent = message;
    e.hidden = false;
  }

  function hint(message) {
    $('hint').textContent = message || '';
  }

  function speaker(role) {
    if (role === 'agent') return setup.words.agent;
    if (role === 'user') return setup.words.user;
    return 'notice';
  }

  function guideList(list, entries) {
    clear(list);
    for (const entry of entries) {
      const dt = el('dt');
      dt.appendChild(kbd(entry.key));
      dt.appendChild(document.createTextNode(' '));
      dt.appendChild(el('strong', null, entry.name));
      list.appendChild(dt);
      const dd = el('dd');
      dd.appendChild(el('p', null, entry.definition));
      if (entry.examples.length > 0) {
        const ul = el('ul', 'examples');
        for (const x of entry.examples) ul.appendChild(el('li', null, '\u201c' + x + '\u201d'));
        dd.appendChild(ul);
      }
      list.appendChild(dd);
    }
  }

  function button(entry, onClick, group) {
    const b = el('button', 'choice ' + group);
    b.type = 'button';
    b.dataset.name = entry.name;
    b.appendChild(kbd(entry.key));
    b.appendChild(el('span', null, entry.name));
    b.title = entry.definition;
    b.addEventListener('click', onClick);
    return b;
  }

  function renderSetup() {
    $('who').textContent = 'annotator: ' + setup.annotator;
    $('labelled-speaker').textContent = setup.words.user + ' (label this turn)';
    $('stage-question').textContent = 'Stage of the ' + setup.words.user + '\u2019s last turn';
    const stages = $('stage-buttons');
    clear(stages);
    for (const s of setup.stages) stages.appendChild(button(s, () => labelWith(s.name), 'stage'));
    guideList($('stage-guide'), setup.stages);
    if (setup.actions.length > 0) {
      $('action-task').hidden = false;
      $('action-guide-title').hidden = false;
      $('action-question').textContent = 'What does the ' + setup.words.agent + ' do in the marked turn?';
      const actions = $('action-buttons');
      clear(actions);
      for (const a of setup.actions) actions.appendChild(button(a, () => chooseAction(a.name), 'action'));
      guideList($('action-guide'), setup.actions);
    }
    $('export-command').textContent = setup.export_command;
  }

  function renderState() {
    const body = document.body;
    $('progress').max = Math.max(1, state.total);
    $('progress').value = state.done;
    $('progress-text').textContent = state.done + ' of ' + state.total + ' done (' + state.labelled + ' labelled, ' + state.skipped + ' skipped)';
    body.dataset.done = String(state.done);
    body.dataset.labelled = String(state.labelled);
    body.dataset.task = state.task ? String(state.task.number) : 'none';
    $('undo').disabled = !state.last;
    if (state.last) {
      const what = state.last.kind === 'skip' ? 'skipped' : state.last.stage + (state.last.action ? ' (' + state.last.action + ')' : '');
      $('last').textContent = 'Last answer: task ' + state.last.task + ' \u2192 ' + what + '. Press U to undo it.';
    } else {
      $('last').textContent = '';
    }
    chosenAction = null;
    markAction();
    if (!state.task) {
      $('main').hidden = true;
      $('finished').hidden = false;
      return;
    }
    $('finished').hidden = true;
    $('main').hidden = false;
    const t = state.task;
    $('task-title').textContent = 'Task ' + t.number + ' of ' + state.total + ' \u00b7 turn ' + (t.turn + 1) + ' of the conversation';
    const list = $('context');
    clear(list);
    for (const turn of t.context) {
      const li = el('li', 'turn role-' + turn.role);
      if (setup.actions.length > 0 && turn.index === t.agent_turn) li.classList.add('action-target');
      li.appendChild(el('div', 'speaker', speaker(turn.role) + (li.classList.contains('action-target') ? ' (label the action of this turn)' : '')));
      li.appendChild(el('p', 'text', turn.text));
      list.appendChild(li);
    }
    $('turn-text').textContent = t.text;
    const labelled = $('labelled');
    labelled.scrollIntoView({ block: 'end' });
  }

  function markAction() {
    for (const b of document.querySelectorAll('button.action')) {
      b.setAttribute('aria-pressed', b.dataset.name === chosenAction ? 'true' : 'false');
    }
  }

  function chooseAction(name) {
    if (!state || !state.task) return;
    chosenAction = chosenAction === name ? null : name;
    markAction();
    hint(chosenAction ? 'Action: ' + chosenAction + '. Now the stage (1\u20135).' : '');
  }

  async function send(path, body) {
    if (busy) return;
    busy = true;
    try {
      const r = await api('POST', path, body);
      if (r.status === 200) {
        state = r.data;
        hint('');
        renderState();
      } else if (r.status === 409) {
        state = r.data;
        renderState();
        hint('That answer did not apply (the page was behind, e.g. another tab); this is the current task.');
      } else if (r.status === 403) {
        showError('Not allowed: open the URL that dfid annotate printed (it carries the session token).');
      } else {
        hint(typeof r.data === 'object' && r.data && r.data.error ? r.data.error : 'The server refused the answer (' + r.status + ').');
      }
    } catch (e) {
      showError('Cannot reach the dfid annotate server; is it still running? Your saved labels are safe. (' + e + ')');
    } finally {
      busy = false;
    }
  }

  function labelWith(stage) {
    if (!state || !state.task) return;
    if (setup.actions.length > 0 && !chosenAction) {
      hint('First choose what the ' + setup.words.agent + ' does in the marked turn (keys ' +
        setup.actions.map((a) => a.key.toUpperCase()).join(' ') + ').');
      return;
    }
    send('/api/label', { task: state.task.number, stage: stage, action: chosenAction });
  }

  function skip() {
    if (!state || !state.task) return;
    send('/api/skip', { task: state.task.number });
  }

  function undo() {
    if (!state || !state.last) return;
    send('/api/undo', { last: state.last.id });
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || !setup || !state) return;
    const key = e.key.toLowerCase();
    const stage = setup.stages.find((s) => s.key === key);
    const action = setup.actions.find((a) => a.key === key);
    if (stage) labelWith(stage.name);
    else if (action) chooseAction(action.name);
    else if (key === 'u' || key === 'backspace') undo();
    else if (key === 's') skip();
    else return;
    e.preventDefault();
  }

  async function start() {
    if (!token) {
      showError('This page needs the session token: open the full URL that dfid annotate printed (it ends in ?token=\u2026).');
      return;
    }
    try {
      const s = await api('GET', '/api/setup');
      if (s.status !== 200) {
        showError(s.status === 403
          ? 'The token in this URL is not this session\u2019s: open the URL that dfid annotate printed.'
          : 'The server answered ' + s.status + '.');
        return;
      }
      setup = s.data;
      renderSetup();
      const r = await api('GET', '/api/state');
      state = r.data;
      renderState();
      $('undo').addEventListener('click', undo);
      $('skip').addEventListener('click', skip);
      document.addEventListener('keydown', onKey);
      document.body.dataset.ready = '1';
    } catch (e) {
      showError('Cannot reach the dfid annotate server; is it still running? (' + e + ')');
    }
  }

  start();
})();

/*
 * Agent console (issue #21): sign in with the agent token → the app's queue (polled) → take the next person → the
 * call: the person's live camera over WebRTC (the person's page makes the offer, the console answers with the agent's
 * own camera and microphone when the browser has them), their selfie, document photo and the automatic checks,
 * prompts, snapshots, notes, and the decision.
 * Plain browser JavaScript, no framework and no build step. Every request carries `Authorization: Bearer agt_…`; the
 * call's events come as Server-Sent Events read with fetch() (EventSource cannot send that header).
 */
'use strict';

(function agentConsole() {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'agentToken';
  /** How often the queue is asked for while the agent is not in a call, ms: a person sees their position move within it. */
  const QUEUE_POLL_MS = 3000;
  /**
   * First wait before the call's event stream is opened again after it ended or broke (a network switch, a replica
   * restarting), ms; doubles up to EVENTS_RETRY_MAX_MS. The cap keeps several tries inside the service's drop grace
   * (LIVE_DROP_GRACE_SECONDS, default 10 s), after which a call whose agent stream is gone is dropped.
   */
  const EVENTS_RETRY_MS = 500;
  const EVENTS_RETRY_MAX_MS = 2000;
  /** Snapshot encoding: JPEG at quality 0.92, the capture page's selfie setting (src/capture/page/capture.js). */
  const SNAPSHOT_QUALITY = 0.92;

  let token = sessionStorage.getItem(TOKEN_KEY);
  let queueTimer = 0;
  /** The call in progress: its ids, the peer connection, the event stream's abort controller, candidates waiting for the offer. */
  let call = null;

  // ---- requests -------------------------------------------------------------------------------------------

  /** A request to the agent API; resolves with {status, body} (body parsed when JSON); network failure → status 0. */
  async function api(method, path, body, type) {
    const headers = { Authorization: `Bearer ${token}` };
    let payload;
    if (body instanceof Blob) {
      payload = body;
      headers['Content-Type'] = type || body.type;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    try {
      const response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
      const text = await response.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch (_) {
        parsed = null;
      }
      return { status: response.status, body: parsed };
    } catch (_) {
      return { status: 0, body: null };
    }
  }

  /** What to tell the agent about a failed request (the service's error format: {error, message, details}). */
  function describe(result) {
    if (result.status === 0) return 'The service cannot be reached. Check the connection.';
    const message = result.body && (result.body.message || (result.body.error && result.body.error.message));
    return message ? `${message} (HTTP ${result.status})` : `The service answered HTTP ${result.status}.`;
  }

  // ---- views ----------------------------------------------------------------------------------------------

  function show(view) {
    for (const section of document.querySelectorAll('section.view')) section.hidden = section.dataset.view !== view;
    document.body.dataset.view = view;
    const heading = document.querySelector(`#view-${view} h2`);
    if (heading) heading.focus();
  }

  // ---- sign in --------------------------------------------------------------------------------------------

  async function signIn(candidate) {
    token = candidate;
    const result = await api('GET', '/v1/agent/me');
    if (result.status !== 200) {
      token = null;
      sessionStorage.removeItem(TOKEN_KEY);
      show('sign-in');
      $('sign-in-error').textContent =
        result.status === 401 || result.status === 403 ? 'This token is not valid for an agent. Check it, or ask for a new one.' : describe(result);
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, candidate);
    $('sign-in-error').textContent = '';
    $('token').value = '';
    $('agent-name').textContent = `${result.body.name} · ${result.body.app_id}`;
    $('sign-out').hidden = false;
    document.body.dataset.agentId = result.body.id;
    showQueue();
  }

  function signOut() {
    if (call) return;
    clearTimeout(queueTimer);
    token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $('agent-name').textContent = '';
    $('sign-out').hidden = true;
    delete document.body.dataset.agentId;
    show('sign-in');
  }

  // ---- queue ----------------------------------------------------------------------------------------------

  function showQueue() {
    show('queue');
    pollQueue();
  }

  const waitedFor = (since) => {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
    return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  };

  async function pollQueue() {
    clearTimeout(queueTimer);
    if (call || !token) return;
    const result = await api('GET', '/v1/agent/queue');
    if (call || !token) return;
    if (result.status === 401 || result.status === 403) return signOut();
    if (result.status !== 200) {
      $('queue-error').textContent = describe(result);
    } else {
      $('queue-error').textContent = '';
      renderQueue(result.body);
    }
    queueTimer = setTimeout(pollQueue, QUEUE_POLL_MS);
  }

  function renderQueue(queue) {
    const rows = $('queue-rows');
    rows.textContent = '';
    for (const person of queue.waiting) {
      const tr = document.createElement('tr');
      tr.dataset.sessionId = person.session_id;
      for (const text of [String(person.queue_position), person.session_id, waitedFor(person.waiting_since)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      rows.appendChild(tr);
    }
    $('queue-table').hidden = queue.waiting.length === 0;
    const count = queue.waiting.length;
    $('queue-summary').textContent = count === 0 ? 'Nobody is waiting.' : count === 1 ? '1 person is waiting.' : `${count} people are waiting.`;
    document.body.dataset.queueLength = String(count);
    $('stale-call').hidden = !queue.active_call;
    $('stale-call-id').textContent = queue.active_call ? queue.active_call.call_id : '';
    $('stale-hangup').dataset.callId = queue.active_call ? queue.active_call.call_id : '';
    $('take-next').disabled = count === 0 || Boolean(queue.active_call);
  }

  async function hangUpStale() {
    const callId = $('stale-hangup').dataset.callId;
    if (!callId) return;
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(callId)}/hangup`);
    if (result.status !== 204 && result.status !== 404) $('queue-error').textContent = describe(result);
    pollQueue();
  }

  // ---- the call -------------------------------------------------------------------------------------------

  /**
   * The agent's camera and microphone for the call (asked for on the "take" click, a user gesture): both, else the
   * microphone alone, else nothing; the call then goes on one way, with prompts as the agent's only voice.
   */
  async function openOwnMedia() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return null;
    for (const constraints of [{ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: true }, { video: false, audio: true }]) {
      try {
        return await navigator.mediaDevices.getUserMedia(constraints);
      } catch (_) {
        /* try the next, smaller set */
      }
    }
    return null;
  }

  function showOwnMedia(stream) {
    const local = $('local-video');
    const hasVideo = Boolean(stream && stream.getVideoTracks().length);
    const hasAudio = Boolean(stream && stream.getAudioTracks().length);
    local.srcObject = hasVideo ? stream : null;
    local.hidden = !hasVideo;
    $('mute').hidden = !hasAudio;
    $('mute').setAttribute('aria-pressed', 'false');
    $('mute').textContent = 'Mute my microphone';
    $('own-media-status').textContent = hasVideo ? '' : hasAudio ? 'Your camera is not available: the person hears you but does not see you.' : 'Your camera and microphone are not available: the person neither sees nor hears you; use the requests below.';
  }

  function toggleMute() {
    if (!call || !call.ownMedia) return;
    const muted = $('mute').getAttribute('aria-pressed') !== 'true';
    for (const track of call.ownMedia.getAudioTracks()) track.enabled = !muted;
    $('mute').setAttribute('aria-pressed', String(muted));
    $('mute').textContent = muted ? 'Unmute my microphone' : 'Mute my microphone';
  }

  async function takeNext() {
    $('take-next').disabled = true;
    $('last-outcome').textContent = '';
    const ownMedia = await openOwnMedia();
    const result = await api('POST', '/v1/agent/calls');
    if (result.status !== 201) {
      if (ownMedia) for (const track of ownMedia.getTracks()) track.stop();
      const kind = result.body && result.body.error;
      $('queue-error').textContent =
        kind === 'queue_empty' ? 'Nobody is waiting any more.' : kind === 'agent_busy' ? 'You already have a call open.' : kind === 'app_call_limit' ? 'Your organisation has as many calls open as it allows. Try again in a moment.' : describe(result);
      return pollQueue();
    }
    clearTimeout(queueTimer);
    startCall(result.body, ownMedia);
  }

  function startCall(taken, ownMedia) {
    call = {
      ownMedia,
      id: taken.call_id,
      sessionId: taken.session_id,
      iceServers: taken.ice_servers || [],
      peer: null,
      pendingCandidates: [],
      abort: new AbortController(),
      ended: false,
      snapshots: 0,
      /** snapshot id → its checks (the event may come before or after the snapshot's answer). */
      snapshotChecks: new Map(),
      decision: null,
      hangingUp: false,
    };
    $('call-id').textContent = taken.call_id;
    $('call-session').textContent = taken.session_id;
    $('call-state').textContent = 'Waiting for the person’s video…';
    $('call-error').textContent = '';
    $('prompt-status').textContent = '';
    $('snapshot-status').textContent = '';
    $('snapshot-list').textContent = '';
    $('check-call-liveness').textContent = 'no snapshot yet';
    $('check-call-face-match').textContent = 'no snapshot yet';
    delete document.body.dataset.callLiveness;
    $('notes').value = '';
    $('unmute').hidden = true;
    setDecisionEnabled(true);
    showOwnMedia(ownMedia);
    renderChecks(taken.checks);
    loadImage('selfie', taken.selfie_url);
    loadImage('document', taken.document_url);
    document.body.dataset.callId = taken.call_id;
    document.body.dataset.callState = 'connecting';
    // Signing out mid-call would leave the call without its agent: hang up or decide first.
    $('sign-out').hidden = true;
    show('call');
    readEvents(call, EVENTS_RETRY_MS);
  }

  const formatScore = (score) => (typeof score === 'number' ? `${score.toFixed(1)} / 100` : 'not available');

  /** The selfie's checks (the take's answer, the `checks` event): they stay while snapshots are taken. */
  function renderChecks(checks) {
    if (!checks) return;
    $('check-face-match').textContent = formatScore(checks.face_match_score);
    $('check-liveness').textContent = formatScore(checks.liveness_score);
    document.body.dataset.selfieLiveness = String(checks.liveness_score);
  }

  /** One snapshot's checks and the call's so far (`snapshot_checks` event, or the snapshot's answer). */
  function renderSnapshotChecks(current, checks) {
    if (!checks || !checks.snapshot_id) return;
    current.snapshotChecks.set(checks.snapshot_id, checks);
    const soFar = checks.so_far;
    if (soFar) {
      const count = `${soFar.snapshots} snapshot${soFar.snapshots === 1 ? '' : 's'}`;
      $('check-call-liveness').textContent = `${formatScore(soFar.liveness_score)} (${count})`;
      $('check-call-face-match').textContent = `${formatScore(soFar.face_match_score)} (${count})`;
      document.body.dataset.callLiveness = String(soFar.liveness_score);
    }
    const item = $('snapshot-list').querySelector(`li[data-snapshot-id="${CSS.escape(checks.snapshot_id)}"] figcaption`);
    if (item) item.textContent = snapshotCaption(checks);
  }

  const snapshotCaption = (checks) =>
    `Liveness ${typeof checks.liveness_score === 'number' ? checks.liveness_score.toFixed(1) : 'n/a'} · match ${typeof checks.face_match_score === 'number' ? checks.face_match_score.toFixed(1) : 'n/a'}`;

  /** Shows the selfie or document photo from its signed link (valid while the call is open); null: not in the session's steps. */
  function loadImage(id, url) {
    const img = $(id);
    img.onerror = () => (img.alt = `The ${id === 'selfie' ? 'selfie' : 'document photo'} could not be loaded.`);
    if (!url) {
      img.removeAttribute('src');
      img.hidden = true;
      return;
    }
    img.alt = id === 'selfie' ? "The person's selfie" : "The person's document photo";
    img.src = url;
    img.hidden = false;
  }

  /**
   * Reads the call's Server-Sent Events (text/event-stream, WHATWG HTML §9.2) from a fetch() body: events are separated
   * by a blank line; `event:` names it, `data:` lines carry the JSON; lines starting with `:` are keep-alive comments.
   * When the stream breaks before the call has ended, it is opened again after a growing wait.
   */
  async function readEvents(current, retryMs) {
    let response;
    try {
      response = await fetch(`/v1/agent/calls/${encodeURIComponent(current.id)}/events`, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: current.abort.signal,
      });
    } catch (_) {
      return reopenEvents(current, retryMs);
    }
    if (response.status === 403 || response.status === 404) return endCall(current, { reason: 'closed' });
    if (!response.ok || !response.body) return reopenEvents(current, retryMs);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(current, block);
        }
        retryMs = EVENTS_RETRY_MS;
      }
    } catch (_) {
      /* aborted or broken: decided below */
    }
    reopenEvents(current, retryMs);
  }

  function reopenEvents(current, retryMs) {
    if (current.ended || call !== current) return;
    setTimeout(() => readEvents(current, Math.min(retryMs * 2, EVENTS_RETRY_MAX_MS)), retryMs);
  }

  function dispatch(current, block) {
    let name = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    let payload;
    try {
      payload = JSON.parse(data.join('\n'));
    } catch (_) {
      return;
    }
    if (call !== current || current.ended) return;
    if (name === 'signal') onSignal(current, payload);
    else if (name === 'checks') renderChecks(payload);
    else if (name === 'snapshot_checks') renderSnapshotChecks(current, payload);
    else if (name === 'ended') endCall(current, payload);
  }

  function peerFor(current) {
    if (current.peer) return current.peer;
    const peer = new RTCPeerConnection({ iceServers: current.iceServers });
    current.peer = peer;
    peer.addEventListener('icecandidate', (event) => {
      if (event.candidate) sendSignal(current, { type: 'candidate', candidate: event.candidate.toJSON() });
    });
    peer.addEventListener('track', (event) => {
      const video = $('remote-video');
      const stream = event.streams[0] || new MediaStream([event.track]);
      if (video.srcObject !== stream) {
        video.srcObject = stream;
        playRemote(video);
      }
    });
    peer.addEventListener('connectionstatechange', () => {
      const state = peer.connectionState;
      document.body.dataset.callState = state;
      $('call-state').textContent =
        state === 'connected' ? 'Connected' : state === 'disconnected' ? 'The connection is unstable…' : state === 'failed' ? 'The connection failed: the person may rejoin.' : 'Connecting…';
    });
    return peer;
  }

  /** Plays the remote video with its sound; a browser that blocks sound without a click plays it muted and offers a button. */
  async function playRemote(video) {
    try {
      video.muted = false;
      await video.play();
    } catch (_) {
      video.muted = true;
      await video.play().catch(() => undefined);
      $('unmute').hidden = false;
    }
  }

  async function onSignal(current, signal) {
    try {
      if (signal.type === 'offer') {
        const peer = peerFor(current);
        await peer.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
        // The offer's audio and video transceivers are sendrecv: the agent's tracks ride on them in the answer.
        if (current.ownMedia && peer.getSenders().every((sender) => !sender.track)) {
          for (const track of current.ownMedia.getTracks()) peer.addTrack(track, current.ownMedia);
        }
        for (const candidate of current.pendingCandidates.splice(0)) await peer.addIceCandidate(candidate).catch(() => undefined);
        const answer = await peer.createAnswer();
        await peer.setLocalDescription(answer);
        await sendSignal(current, { type: 'answer', sdp: peer.localDescription.sdp });
      } else if (signal.type === 'candidate' && signal.candidate) {
        if (current.peer && current.peer.remoteDescription) await current.peer.addIceCandidate(signal.candidate).catch(() => undefined);
        else current.pendingCandidates.push(signal.candidate);
      }
    } catch (error) {
      $('call-error').textContent = `The video connection could not be set up (${error && error.message}).`;
    }
  }

  async function sendSignal(current, signal) {
    if (current.ended) return;
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(current.id)}/signal`, signal);
    if (result.status !== 204 && !current.ended) $('call-error').textContent = describe(result);
  }

  async function sendPrompt(text) {
    const current = call;
    if (!current || !text) return;
    $('prompt-status').textContent = 'Sending…';
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(current.id)}/prompts`, { text });
    if (call !== current) return;
    if (result.status === 204) {
      $('prompt-status').textContent = `Sent: “${text}”`;
      document.body.dataset.promptsSent = String(Number(document.body.dataset.promptsSent || 0) + 1);
    } else {
      $('prompt-status').textContent = describe(result);
    }
  }

  async function takeSnapshot() {
    const current = call;
    const video = $('remote-video');
    if (!current) return;
    if (!video.videoWidth) return ($('snapshot-status').textContent = 'There is no video yet.');
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', SNAPSHOT_QUALITY));
    $('snapshot-status').textContent = 'Saving the snapshot…';
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(current.id)}/snapshots`, blob, 'image/jpeg');
    if (call !== current) return;
    if (result.status !== 201) return ($('snapshot-status').textContent = describe(result));
    current.snapshots += 1;
    $('snapshot-status').textContent = `Snapshot ${current.snapshots} saved.`;
    const li = document.createElement('li');
    const figure = document.createElement('figure');
    const img = document.createElement('img');
    img.src = URL.createObjectURL(blob);
    img.alt = `Snapshot ${current.snapshots}`;
    const caption = document.createElement('figcaption');
    li.dataset.snapshotId = result.body.id;
    figure.append(img, caption);
    li.appendChild(figure);
    $('snapshot-list').appendChild(li);
    renderSnapshotChecks(current, current.snapshotChecks.get(result.body.id) || { snapshot_id: result.body.id, ...result.body.checks, so_far: result.body.so_far });
    document.body.dataset.snapshots = String(current.snapshots);
  }

  function setDecisionEnabled(enabled) {
    for (const id of ['approve', 'decline', 'hangup', 'snapshot', 'prompt-send']) $(id).disabled = !enabled;
    for (const button of document.querySelectorAll('button.prompt')) button.disabled = !enabled;
  }

  async function decide(outcome) {
    const current = call;
    if (!current) return;
    const notes = $('notes').value.trim();
    if (outcome === 'declined' && !notes) {
      $('call-error').textContent = 'Write in the notes why you decline.';
      return $('notes').focus();
    }
    setDecisionEnabled(false);
    // The call's `ended` event may arrive before the answer: it then reports this outcome.
    current.decision = outcome;
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(current.id)}/decision`, { result: outcome, notes });
    if (result.status !== 200) {
      current.decision = null;
      if (current.ended) return;
      setDecisionEnabled(true);
      $('call-error').textContent = describe(result);
      return;
    }
    document.body.dataset.decision = outcome;
    endCall(current, { reason: 'decided', result: outcome });
  }

  async function hangUp() {
    const current = call;
    if (!current) return;
    setDecisionEnabled(false);
    // The call's `ended {reason: "dropped"}` may arrive before the answer: it is then reported as this hang-up.
    current.hangingUp = true;
    const result = await api('POST', `/v1/agent/calls/${encodeURIComponent(current.id)}/hangup`);
    if (result.status !== 204 && result.status !== 404) {
      current.hangingUp = false;
      if (current.ended) return;
      setDecisionEnabled(true);
      $('call-error').textContent = describe(result);
      return;
    }
    endCall(current, { reason: 'hung_up' });
  }

  /** Closes the call's connection and stream and goes back to the queue, saying how the call ended. */
  function endCall(current, ended) {
    if (current.ended) return;
    const reason = ended.reason === 'dropped' && current.hangingUp ? 'hung_up' : ended.reason;
    current.ended = true;
    current.abort.abort();
    if (current.peer) current.peer.close();
    if (current.ownMedia) for (const track of current.ownMedia.getTracks()) track.stop();
    showOwnMedia(null);
    $('own-media-status').textContent = '';
    const video = $('remote-video');
    video.srcObject = null;
    for (const id of ['selfie', 'document']) $(id).removeAttribute('src');
    for (const img of $('snapshot-list').querySelectorAll('img')) URL.revokeObjectURL(img.src);
    if (call === current) call = null;
    $('sign-out').hidden = !token;
    delete document.body.dataset.callId;
    document.body.dataset.callState = 'ended';
    const why = {
      decided: `Call ${current.id} ended: you ${ended.result || current.decision || 'decided on'} the session ${current.sessionId}.`,
      hung_up: `You hung up call ${current.id}; the person may rejoin at the head of the queue.`,
      dropped: `Call ${current.id} dropped (the person’s connection was lost); they may rejoin at the head of the queue.`,
      timeout: `Call ${current.id} reached the longest call time and was ended.`,
      expired: `Session ${current.sessionId} expired during the call.`,
      closed: `Call ${current.id} is no longer open.`,
    };
    $('last-outcome').textContent = why[reason] || `Call ${current.id} ended (${reason}).`;
    document.body.dataset.lastEnded = reason;
    showQueue();
  }

  // ---- start ----------------------------------------------------------------------------------------------

  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token').value.trim();
    if (!value) return ($('sign-in-error').textContent = 'Paste your agent token.');
    signIn(value);
  });
  $('sign-out').addEventListener('click', signOut);
  $('take-next').addEventListener('click', takeNext);
  $('stale-hangup').addEventListener('click', hangUpStale);
  for (const button of document.querySelectorAll('button.prompt')) button.addEventListener('click', () => sendPrompt(button.dataset.prompt));
  $('prompt-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('prompt-text').value.trim();
    if (!text) return;
    sendPrompt(text).then(() => ($('prompt-text').value = ''));
  });
  $('snapshot').addEventListener('click', takeSnapshot);
  $('approve').addEventListener('click', () => decide('approved'));
  $('decline').addEventListener('click', () => decide('declined'));
  $('hangup').addEventListener('click', hangUp);
  $('mute').addEventListener('click', toggleMute);
  $('unmute').addEventListener('click', () => {
    const video = $('remote-video');
    video.muted = false;
    video.play().catch(() => undefined);
    $('unmute').hidden = true;
  });
  // Closing or leaving the tab during a call hangs it up, so the person is not left waiting for an agent who is gone
  // (keepalive: the request outlives the page; Fetch Standard §4.5 "keepalive").
  window.addEventListener('pagehide', () => {
    if (!call) return;
    fetch(`/v1/agent/calls/${encodeURIComponent(call.id)}/hangup`, { method: 'POST', keepalive: true, headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
  });
  if (token) signIn(token);
  else show('sign-in');
})();
